import { Ajv, type ErrorObject } from 'ajv';
import { UserError, type SourcePosition } from '../errors.js';

/** A document plus where its values are: a YAML file, or a release converted from the old format. */
export interface PositionedSource {
  file: string;
  value: unknown;
  positionOf(path: readonly (string | number)[]): SourcePosition;
  /** Position of a map entry's key; defaults to positionOf. */
  keyPositionOf?(path: readonly (string | number)[]): SourcePosition;
  /** How to name a path in messages; defaults to `a.b[0].c`. */
  describe?(path: readonly (string | number)[]): string;
}

// verbose: each error carries its schema, for the close names of unknown keys and the words of patterns.
// validateSchema off: the schemas are ours and fixed, checked against the meta-schema by a unit
// test (test/unit/config/schemas.test.ts), not again at every command's start (30 ms).
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, validateSchema: false });
const validators = new Map<object, ReturnType<typeof ajv.compile>>();

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function describePath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part),
    '',
  );
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be a typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

type SchemaNode = {
  properties?: Record<string, unknown>;
  patternErrorMessage?: string;
  examples?: unknown[];
  type?: string;
  required?: string[];
};

const typeWords: Record<string, string> = {
  object: 'a map (key: value)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function typeOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return String(value);
}

function toUserError(source: PositionedSource, error: ErrorObject, what: string): UserError {
  const path = pathOf(error.instancePath);
  const where = (source.describe ? source.describe(path) : describePath(path)) || 'the document';
  const params = error.params as Record<string, unknown>;
  const schema = (error.parentSchema ?? {}) as SchemaNode;
  const at = source.positionOf(path);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(schema.properties ?? {});
      const close = closestName(key, known);
      const position = source.keyPositionOf
        ? source.keyPositionOf([...path, key])
        : source.positionOf([...path, key]);
      return new UserError(
        `unknown field ${describePath([...path, key])} in ${what}${close ? `; did you mean ${close}?` : ''}`,
        {
          position,
          hint: close
            ? `rename it to ${close}`
            : known.length > 0
              ? `remove it; ${where} takes ${known.join(', ')}`
              : 'remove it',
        },
      );
    }
    case 'required':
      return new UserError(`${where} is missing ${String(params.missingProperty)} in ${what}`, {
        position: at,
        hint: `add ${String(params.missingProperty)}: under ${where === 'the document' ? 'the top level' : where}`,
      });
    case 'const':
      return new UserError(`${where} must be ${JSON.stringify(params.allowedValue)}`, {
        position: at,
        hint: `write ${describePath(path).split('.').at(-1) ?? where}: ${JSON.stringify(params.allowedValue)}`,
      });
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return new UserError(`${where} must be one of ${allowed.join(', ')}, not ${typeOf(error.data)}`, {
        position: at,
        hint: `use one of ${allowed.join(', ')}`,
      });
    }
    case 'type': {
      const wanted = String(params.type)
        .split(',')
        .map((t) => typeWords[t] ?? t)
        .join(' or ');
      return new UserError(`${where} must be ${wanted}, not ${typeOf(error.data)}`, {
        position: at,
        hint: `write ${wanted} here`,
      });
    }
    case 'pattern': {
      const words = schema.patternErrorMessage ?? `text matching ${String(params.pattern)}`;
      const example = schema.examples?.[0];
      return new UserError(`${where} must be ${words}, not ${typeOf(error.data)}`, {
        position: at,
        hint: example === undefined ? 'correct the value' : `for example ${String(example)}`,
      });
    }
    case 'minimum':
    case 'maximum':
      return new UserError(
        `${where} must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, not ${typeOf(error.data)}`,
        { position: at, hint: 'use a value in range' },
      );
    case 'minLength':
      return new UserError(`${where} must not be empty`, {
        position: at,
        hint: 'give it a value or remove it',
      });
    case 'maxLength':
      return new UserError(`${where} must be at most ${String(params.limit)} characters long`, {
        position: at,
        hint: 'shorten it',
      });
    case 'minItems':
      return new UserError(`${where} must list at least ${String(params.limit)} item(s)`, {
        position: at,
        hint: `add an entry under ${where}`,
      });
    case 'minProperties':
      return new UserError(`${where} must have at least ${String(params.limit)} entry`, {
        position: at,
        hint: `add an entry under ${where}`,
      });
    default:
      return new UserError(`${where} ${error.message ?? 'is invalid'}`, {
        position: at,
        hint: 'see the schema: regatta schema fleet|release|secrets',
      });
  }
}

/** Which of several violations to report: the one that points closest to the mistake. */
function rank(error: ErrorObject): number[] {
  const depth = pathOf(error.instancePath).length;
  // An unknown key is one level deeper than its map, and names the typo a `required` error only implies.
  const keyword = error.keyword === 'additionalProperties' ? 2 : error.keyword === 'required' ? 0 : 1;
  return [depth + (error.keyword === 'additionalProperties' ? 1 : 0), keyword];
}

function compare(a: ErrorObject, b: ErrorObject): number {
  const [ra, rb] = [rank(a), rank(b)];
  return rb[0]! - ra[0]! || rb[1]! - ra[1]!;
}

/** Checks a document against a JSON Schema; the violation closest to the mistake becomes a positioned UserError. */
export function validateAgainst(schema: object, source: PositionedSource, what: string): void {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (!validate(source.value)) {
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf');
    const best = [...errors].sort(compare)[0];
    if (best) throw toUserError(source, best, what);
  }
}
