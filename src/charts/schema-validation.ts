import { Ajv, type ValidateFunction } from 'ajv';
import { splitManifest } from '../plan/manifests.js';

/** One group-version OpenAPI v3 document as an API server serves it. */
export interface OpenApiDocument {
  components?: { schemas?: Record<string, Record<string, unknown>> };
}

/** One rendered object that breaks its cluster's schema. */
export interface Violation {
  /** `# Source:` of the rendered document: chart/templates/file.yaml */
  template: string;
  kind: string;
  name: string;
  /** JSON path inside the object, e.g. spec.replicass */
  field: string;
  message: string;
}

export { splitManifest };

/** Strict like `kubectl --validate=strict`: objects with declared properties accept no others. */
function strictify(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictify);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    copy[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strictify(v)]))
        : strictify(value);
  if (
    copy.properties &&
    copy.additionalProperties === undefined &&
    !copy['x-kubernetes-preserve-unknown-fields']
  )
    copy.additionalProperties = false;
  return copy;
}

/**
 * Pure: validates Kubernetes objects against one cluster's OpenAPI v3 documents (its own API
 * server's, so CRDs are included), compiling each kind's schema once.
 */
export class ClusterSchemas {
  private readonly byKind = new Map<string, { document: number; schema: string }>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly strictComponents = new Map<number, unknown>();
  private readonly ajvs: Ajv[];

  constructor(private readonly documents: readonly OpenApiDocument[]) {
    this.ajvs = documents.map(() => new Ajv({ strict: false, allErrors: true, validateFormats: false }));
    documents.forEach((document, index) => {
      for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
        const kinds = (schema['x-kubernetes-group-version-kind'] ?? []) as {
          group: string;
          version: string;
          kind: string;
        }[];
        for (const gvk of kinds)
          this.byKind.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`, {
            document: index,
            schema: name,
          });
      }
    });
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion}/${kind}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const entry = this.byKind.get(key);
    if (!entry) return undefined;
    const document = this.documents[entry.document]!;
    let components = this.strictComponents.get(entry.document);
    if (!components) {
      components = strictify(document.components);
      this.strictComponents.set(entry.document, components);
    }
    const validate = this.ajvs[entry.document]!.compile({
      $ref: `#/components/schemas/${entry.schema}`,
      components,
    });
    this.compiled.set(key, validate);
    return validate;
  }

  /** Every violation in a rendered multi-document manifest. */
  validateManifest(manifest: string): Violation[] {
    const violations: Violation[] = [];
    for (const { template, object } of splitManifest(manifest)) {
      const kind = String(object.kind ?? '');
      const apiVersion = String(object.apiVersion ?? '');
      const name = String((object.metadata as { name?: string } | undefined)?.name ?? '');
      const validate = this.validatorFor(apiVersion, kind);
      if (!validate) {
        violations.push({
          template,
          kind,
          name,
          field: 'apiVersion',
          message: `${apiVersion} ${kind} is not served by this cluster`,
        });
        continue;
      }
      if (validate(object)) continue;
      for (const error of validate.errors ?? []) {
        if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue; // its branches say more
        const extra =
          error.keyword === 'additionalProperties'
            ? `/${String((error.params as { additionalProperty: string }).additionalProperty)}`
            : '';
        const field = `${error.instancePath}${extra}`.slice(1).replace(/\//g, '.') || '(object)';
        const message =
          error.keyword === 'additionalProperties' ? 'unknown field' : (error.message ?? 'invalid');
        if (!violations.some((v) => v.template === template && v.name === name && v.field === field)) {
          violations.push({ template, kind, name, field, message });
        }
      }
    }
    return violations;
  }
}
