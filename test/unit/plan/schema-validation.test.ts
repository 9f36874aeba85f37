import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterSchemas } from '../../../src/charts/schema-validation.js';

/** A miniature of what an API server serves at /openapi/v3/apis/example.com/v1. */
const document = {
  components: {
    schemas: {
      'com.example.v1.Widget': {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { allOf: [{ $ref: '#/components/schemas/meta.ObjectMeta' }] },
          spec: {
            type: 'object',
            properties: {
              size: { type: 'integer', format: 'int32' },
              port: { $ref: '#/components/schemas/intstr.IntOrString' },
            },
          },
          extra: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { known: { type: 'string' } },
          },
        },
      },
      'meta.ObjectMeta': {
        type: 'object',
        properties: {
          name: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      'intstr.IntOrString': { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
    },
  },
};

const manifest = (spec: string, extra = '') => `---
# Source: widgets/templates/widget.yaml
apiVersion: example.com/v1
kind: Widget
metadata: { name: w1, labels: { a: b } }
spec: ${spec}
${extra}`;

describe("validation against a cluster's OpenAPI schema", () => {
  const schemas = new ClusterSchemas([document]);

  it('accepts a valid object, int-or-string either way, and unknown fields where the schema preserves them', () => {
    assert.deepEqual(
      schemas.validateManifest(manifest('{ size: 3, port: 80 }', 'extra: { anything: 1 }')),
      [],
    );
    assert.deepEqual(schemas.validateManifest(manifest('{ size: 3, port: http }')), []);
  });

  it('reports unknown fields and wrong types with template, object and field path', () => {
    assert.deepEqual(schemas.validateManifest(manifest('{ sise: 3, size: "three" }')), [
      {
        template: 'widgets/templates/widget.yaml',
        kind: 'Widget',
        name: 'w1',
        field: 'spec.sise',
        message: 'unknown field',
      },
      {
        template: 'widgets/templates/widget.yaml',
        kind: 'Widget',
        name: 'w1',
        field: 'spec.size',
        message: 'must be integer',
      },
    ]);
  });

  it('reports a kind the cluster does not serve (a CRD missing there)', () => {
    const [violation] = schemas.validateManifest(
      'apiVersion: example.com/v2\nkind: Widget\nmetadata: { name: w2 }\n',
    );
    assert.equal(violation?.message, 'example.com/v2 Widget is not served by this cluster');
  });
});
