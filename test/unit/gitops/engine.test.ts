import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFleet } from '../../../src/config/fleet.js';
import { UserError } from '../../../src/errors.js';
import { FLEET, writeFiles } from '../config/support.js';

const withEngine = (engine: string) =>
  FLEET.replace('prod:    { branches: [prod],', `prod:    { engine: ${engine}, branches: [prod],`);

describe('environment engine', () => {
  it('is helm unless the environment says flux', () => {
    const dir = writeFiles({ 'regatta.yaml': withEngine('flux') });
    const fleet = loadFleet(join(dir, 'regatta.yaml'));
    assert.equal(fleet.environments.prod?.engine, 'flux');
    assert.equal(fleet.environments.dev?.engine, 'helm');
  });

  it('refuses another engine at its line and column', () => {
    const dir = writeFiles({ 'regatta.yaml': withEngine('argo') });
    assert.throws(
      () => loadFleet(join(dir, 'regatta.yaml')),
      (error: unknown) =>
        error instanceof UserError &&
        error.message === 'environments.prod.engine must be one of "helm", "flux", not the string "argo"' &&
        error.position?.line === 6 &&
        error.position?.col === 22,
    );
  });
});
