import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFleet } from '../../../src/config/fleet.js';
import { loadReleases } from '../../../src/config/release.js';
import { UserError } from '../../../src/errors.js';
import { FLEET, SEED_RELEASE, writeFiles } from './support.js';

function load(files: Record<string, string>) {
  const dir = writeFiles({ 'regatta.yaml': FLEET, ...files });
  const fleet = loadFleet(join(dir, 'regatta.yaml'));
  return loadReleases(
    Object.keys(files).map((name) => join(dir, name)),
    fleet,
  );
}

function releaseError(files: Record<string, string>): UserError {
  try {
    load(files);
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return error;
  }
  assert.fail('expected a UserError');
}

describe('release files', () => {
  it("accepts the seed's DailymotionRelease verbatim", () => {
    const [release] = load({ 'app1.yaml': SEED_RELEASE });
    assert.ok(release);
    assert.equal(release.name, 'app1');
    assert.equal(release.namespace, 'ns1');
    assert.equal(release.environment, 'dev');
    assert.equal(release.branch, 'mybranch');
    assert.equal(release.slackChannel, '#admin');
    assert.deepEqual(release.chart, { name: 'app1', version: undefined, path: undefined });
    assert.deepEqual(
      release.scaling.map((s) => [s.cluster, s.replicas]),
      [
        ['dev-us-central1-0', [{ name: 'hermes', count: 2 }]],
        ['dev-europe-west1-0', [{ name: 'app1-deploy', count: 2 }]],
      ],
    );
    assert.deepEqual(
      release.secrets[0]?.contexts.map((c) => c.name),
      ['default', 'dev-us-central1-0'],
    );
  });

  it('accepts the same fields as regatta/v1 Release, with chart_path and values_files relative to the file', () => {
    const text = SEED_RELEASE.replace('"v1"', 'regatta/v1')
      .replace('"DailymotionRelease"', 'Release')
      .replace(
        '  chart_name: "app1"',
        '  chart_name: "app1"\n  chart_path: charts/app1\n  values_files: [values/common.yaml]\n  values: { a: 1 }',
      );
    const dir = writeFiles({
      'regatta.yaml': FLEET,
      'app1.yaml': text,
      'charts/app1/Chart.yaml': 'apiVersion: v2\nname: app1\nversion: 1.0.0\n',
      'values/common.yaml': 'b: 2\n',
    });
    const [release] = loadReleases([join(dir, 'app1.yaml')], loadFleet(join(dir, 'regatta.yaml')));
    assert.match(release?.chart.path ?? '', /\/charts\/app1$/);
    assert.match(release?.valuesFiles[0] ?? '', /^\/.*\/values\/common\.yaml$/);
    assert.deepEqual(release?.values, { a: 1 });
  });

  it('needs no chartRepository in an environment whose releases all use chart_path', () => {
    const fleetText = FLEET.replace(
      /,\s+chartRepository: \{ url: http:\/\/127\.0\.0\.1:8080, type: chartmuseum \}/,
      '',
    );
    assert.notEqual(fleetText, FLEET);
    const text = SEED_RELEASE.replace(
      '  chart_name: "app1"',
      '  chart_name: "app1"\n  chart_path: charts/app1',
    );
    const dir = writeFiles({
      'regatta.yaml': fleetText,
      'app1.yaml': text,
      'charts/app1/Chart.yaml': 'apiVersion: v2\nname: app1\nversion: 1.0.0\n',
    });
    const fleet = loadFleet(join(dir, 'regatta.yaml'));
    assert.equal(fleet.environments.dev?.chartRepository, undefined);
    const [release] = loadReleases([join(dir, 'app1.yaml')], fleet);
    assert.match(release?.chart.path ?? '', /\/charts\/app1$/);
  });

  it('puts a release without a namespace in default', () => {
    const [release] = load({ 'a.yaml': SEED_RELEASE.replace('"app1.ns1"', 'app1') });
    assert.equal(release?.namespace, 'default');
  });

  it('refuses an unknown environment at its position', () => {
    const error = releaseError({ 'a.yaml': SEED_RELEASE.replace('environment: "dev"', 'environment: "qa"') });
    assert.equal(error.message, 'unknown environment "qa"');
    assert.match(`${error.position?.file}:${error.position?.line}:${error.position?.col}`, /a\.yaml:5:16$/);
  });

  it('refuses a scaling context that is no cluster of the environment', () => {
    const error = releaseError({
      'a.yaml': SEED_RELEASE.replace('context: "dev-europe-west1-0"', 'context: "prod-europe-west1"'),
    });
    assert.equal(error.message, 'scaling context prod-europe-west1 is not a cluster of environment dev');
    assert.deepEqual([error.position?.line, error.position?.col], [15, 16]);
  });

  it('refuses two releases with the same name and namespace, naming both places', () => {
    const error = releaseError({ 'a.yaml': SEED_RELEASE, 'b.yaml': SEED_RELEASE });
    assert.match(error.message, /^release app1 in namespace ns1 is defined twice \(also at .*a\.yaml:1:1\)$/);
    assert.match(error.position?.file ?? '', /b\.yaml$/);
  });

  it('refuses malformed YAML with line and column', () => {
    const error = releaseError({ 'a.yaml': 'apiVersion: v1\nkind: DailymotionRelease\n  metadata: {}\n' });
    assert.match(error.message, /^malformed YAML/);
    assert.deepEqual([error.position?.line, error.position?.col], [2, 7]);
  });

  it('refuses a secret_id used twice and an entry without vaultKey', () => {
    const twice = SEED_RELEASE + SEED_RELEASE.slice(SEED_RELEASE.indexOf('    - secret_id'));
    assert.equal(
      releaseError({ 'a.yaml': twice }).message,
      'secret_id stack1-app1-password is used twice in this release',
    );
    const noKey = releaseError({
      'a.yaml': SEED_RELEASE.replace(
        '          vaultKey: "password"\n        - name: "dev',
        '        - name: "dev',
      ),
    });
    assert.match(noKey.message, /spec\.secrets\[0\]\.contexts\[0\] is missing vaultKey/);
  });

  it('refuses a secret context that is no cluster of the environment', () => {
    const error = releaseError({
      'a.yaml': SEED_RELEASE.replace(
        'name: "dev-us-central1-0"\n          vaultPath',
        'name: "cluster1"\n          vaultPath',
      ),
    });
    assert.equal(
      error.message,
      'secret stack1-app1-password: context cluster1 is not a cluster of environment dev',
    );
  });

  it('refuses a negative replica count with the field path', () => {
    const error = releaseError({ 'a.yaml': SEED_RELEASE.replace('count: 2', 'count: -1') });
    assert.match(error.message, /^spec\.scaling\[0\]\.replicas\[0\]\.count must be at least 0/);
    assert.equal(error.position?.line, 14);
  });
});
