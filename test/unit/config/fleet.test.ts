import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentialVariables, loadFleet } from '../../../src/config/fleet.js';
import { FLEET, fleetError, writeFiles } from './support.js';

describe('fleet file', () => {
  const dir = writeFiles({ 'regatta.yaml': FLEET });
  const fleet = loadFleet(join(dir, 'regatta.yaml'));

  it('names the variables holding credentials, which no child process inherits', () => {
    const withAuth = `${FLEET.replace('type: chartmuseum }', 'type: chartmuseum, username: ci, passwordEnv: CM_PASSWORD }')}vault:\n  auth:\n    approle: { roleId: r, secretIdEnv: APPROLE_SECRET }\n`;
    const loaded = loadFleet(join(writeFiles({ 'regatta.yaml': withAuth }), 'regatta.yaml'));
    assert.deepEqual(credentialVariables(loaded).sort(), [
      'APPROLE_SECRET',
      'CM_PASSWORD',
      'SLACK_WEBHOOK_URL',
    ]);
  });

  it('reads environments with their branches and chart repositories', () => {
    assert.deepEqual(fleet.environments.staging?.branches, ['master', 'main']);
    assert.deepEqual(fleet.environments.dev?.chartRepository, {
      url: 'http://127.0.0.1:8080',
      type: 'chartmuseum',
      plainHttp: true,
    });
    assert.deepEqual(fleet.environments.staging?.chartRepository, {
      url: 'oci://127.0.0.1:5000/charts-staging',
      type: 'oci',
      plainHttp: true,
    });
    assert.equal(fleet.environments.prod?.chartRepository?.plainHttp, false, 'a remote registry uses TLS');
  });

  it('reads clusters: the context defaults to the name, labels and globals kept', () => {
    const [, , prodEu, prodUs] = fleet.clusters;
    assert.equal(prodEu?.context, 'prod-europe-west1');
    assert.equal(prodUs?.context, 'gke_prod_us');
    assert.deepEqual(prodEu?.labels, { provider: 'gcp' });
    assert.deepEqual(prodEu?.globals, { team: 'api' });
    assert.equal(fleet.clusters[1]?.cloud, false);
    assert.equal(fleet.slackWebhookUrlEnv, 'SLACK_WEBHOOK_URL');
  });

  it('names file, line and column of a cluster in an unknown environment', () => {
    const error = fleetError(FLEET.replace('    env: prod\n    cloud: true', '    env: qa\n    cloud: true'));
    assert.equal(error.message, 'cluster prod-europe-west1: unknown environment "qa"');
    assert.equal(error.position?.line, 16);
    assert.equal(error.position?.col, 10);
  });

  it('points at an unknown field', () => {
    const error = fleetError(
      FLEET.replace('    region: us-central1\n    cloud: true', '    region: us-central1\n    clould: true'),
    );
    assert.equal(error.message, 'unknown field clusters[0].clould in the fleet file; did you mean cloud?');
    assert.equal(error.hint, 'rename it to cloud');
    assert.deepEqual([error.position?.line, error.position?.col], [11, 5]);
  });

  it('reports malformed YAML at its line: an unclosed [ where it opens', () => {
    const error = fleetError('apiVersion: regatta/v1\nkind: Fleet\nenvironments: [dev\n');
    assert.match(error.message, /^malformed YAML/);
    assert.deepEqual([error.position?.line, error.position?.col], [3, 15]);
  });

  it('refuses a cluster listed twice', () => {
    const error = fleetError(FLEET.replace('name: dev-europe-west1-0', 'name: dev-us-central1-0'));
    assert.equal(error.message, 'cluster dev-us-central1-0 is listed twice');
  });
});
