import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { fleetSchema, releaseSchema, secretsFileSchema } from '../../../src/config/schemas.js';
import { profileSchema } from '../../../src/sandbox/latency.js';

// validateAgainst compiles these without checking them against the meta-schema (it costs every
// command's start): this is where a mistake in one of them is caught.
describe('the input schemas', () => {
  const ajv = new Ajv({ strict: false });
  for (const [name, schema] of Object.entries({
    fleetSchema,
    releaseSchema,
    secretsFileSchema,
    profileSchema,
  })) {
    it(`${name} is a valid JSON Schema`, () => {
      assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    });
  }

  it('a schema with a mistake is caught', () => {
    assert.equal(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strin' } } }), false);
  });
});
