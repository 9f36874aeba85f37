import { Ajv, type ErrorObject } from 'ajv';
import { UserError } from '../errors.js';
import type { YamlSource } from './yaml-source.js';

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<object, ReturnType<typeof ajv.compile>>();

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describe(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}

function toUserError(source: YamlSource, error: ErrorObject, what: string): UserError {
  const path = pathOf(error.instancePath);
  const where = describe(path) || 'the document';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return new UserError(`unknown field ${describe([...path, key])} in ${what}`, {
        position: source.keyPositionOf([...path, key]),
        hint: 'remove it or fix its spelling',
      });
    }
    case 'required':
      return new UserError(`${where} is missing ${String(params.missingProperty)} in ${what}`, {
        position: source.positionOf(path),
      });
    case 'const':
      return new UserError(`${where} must be ${JSON.stringify(params.allowedValue)}`, {
        position: source.positionOf(path),
      });
    case 'enum':
      return new UserError(
        `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        {
          position: source.positionOf(path),
        },
      );
    default:
      return new UserError(`${where} ${error.message ?? 'is invalid'}`, {
        position: source.positionOf(path),
      });
  }
}

/** Checks a document against a JSON Schema; the first violation becomes a positioned UserError. */
export function validateAgainst(schema: object, source: YamlSource, what: string): void {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (!validate(source.value)) {
    const errors = validate.errors ?? [];
    // Prefer the deepest error: it points closest to the mistake.
    const deepest = [...errors].sort(
      (a, b) => pathOf(b.instancePath).length - pathOf(a.instancePath).length,
    )[0];
    if (deepest) throw toUserError(source, deepest, what);
  }
}
