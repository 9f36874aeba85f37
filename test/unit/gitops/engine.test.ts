import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFleet } from '../../../src/config/fleet.js';
import { UserError } from '../../../src/errors.js';
import { FLEET, fleetError, writeFiles } from '../config/support.js';

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

const withSecrets = (settings: string) =>
  FLEET.replace('prod:    { branches: [prod],', `prod:    { engine: flux, ${settings}, branches: [prod],`);
describe('environment secrets', () => {
  it('are read from Vault by Regatta, through a ClusterSecretStore named vault, unless the file says otherwise', () => {
    const dir = writeFiles({ 'regatta.yaml': withEngine('flux') });
    const fleet = loadFleet(join(dir, 'regatta.yaml'));
    assert.equal(fleet.environments.prod?.secrets, 'vault');
    assert.equal(fleet.environments.prod?.secretStore, 'vault');
  });

  it('external-secrets with the store the file names', () => {
    const dir = writeFiles({
      'regatta.yaml': withSecrets('secrets: external-secrets, secretStore: vault-prod'),
    });
    const fleet = loadFleet(join(dir, 'regatta.yaml'));
    assert.equal(fleet.environments.prod?.secrets, 'external-secrets');
    assert.equal(fleet.environments.prod?.secretStore, 'vault-prod');
  });

  it('refuses another source at its line and column', () => {
    const error = fleetError(withSecrets('secrets: sops'));
    assert.equal(
      error.message,
      'environments.prod.secrets must be one of "vault", "external-secrets", not the string "sops"',
    );
    assert.deepEqual([error.position?.line, error.position?.col], [6, 37]);
  });

  it('refuses a store name that is no Kubernetes object name, at its line and column', () => {
    const error = fleetError(withSecrets('secretStore: Vault_Prod'));
    assert.equal(
      error.message,
      'environments.prod.secretStore must be a Kubernetes object name: lowercase letters, digits, "-" and ".", not the string "Vault_Prod"',
    );
    assert.deepEqual([error.position?.line, error.position?.col], [6, 41]);
  });

  it('refuses external-secrets for an environment helm deploys', () => {
    const error = fleetError(
      FLEET.replace(
        'prod:    { branches: [prod],',
        'prod:    { secrets: external-secrets, branches: [prod],',
      ),
    );
    assert.equal(error.message, 'environment prod: secrets: external-secrets needs engine: flux');
    assert.deepEqual([error.position?.line, error.position?.col], [6, 23]);
    assert.match(error.hint ?? '', /engine: flux/);
  });
});
