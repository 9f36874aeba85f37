import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { httpRequest } from '../../src/adapters/http.js';
import { run } from '../../src/adapters/process.js';
import { packageRoot } from '../../src/paths.js';
import { deployJson, regatta, testSandbox } from './support/sandbox.js';
import { writeRelease, writeTestFleet } from './support/fleet.js';

const { state, env } = testSandbox();
const fleet = writeTestFleet(state);

/** Packages the web fixture chart as `name` at `version`. */
async function packageAs(name: string, version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'regatta-chartver-'));
  const chart = join(dir, name);
  cpSync(join(packageRoot, 'test', 'fixtures', 'charts', 'web'), chart, { recursive: true });
  const chartYaml = join(chart, 'Chart.yaml');
  writeFileSync(
    chartYaml,
    readFileSync(chartYaml, 'utf8')
      .replace('name: web', `name: ${name}`)
      .replace('version: 1.0.0', `version: ${version}`),
  );
  await run('helm', ['package', chart, '-d', dir], { env });
  return join(dir, `${name}-${version}.tgz`);
}

async function plannedVersion(environment: string, branch?: string): Promise<string[]> {
  const file = writeRelease(fleet.dir, `versions-${environment}.yaml`, {
    apiVersion: 'regatta/v1',
    kind: 'Release',
    metadata: { name: 'versioned.versioned', environment, ...(branch ? { branch } : {}) },
    spec: { chart_name: 'versioned' },
  });
  const result = await regatta(['plan', '--fleet', fleet.file, file, '--output', 'json'], env);
  assert.equal(result.exitCode, 0, result.stderr);
  return [
    ...new Set((JSON.parse(result.stdout).entries as { chartVersion: string }[]).map((e) => e.chartVersion)),
  ];
}

describe("chart versions from the environment's repository", () => {
  before(async () => {
    for (const version of ['1.0.0', '1.1.0', '1.2.0-dev.1a2b3c4', '1.3.0-other.9f8e7d6']) {
      const chart = await packageAs('versioned', version);
      const upload = await httpRequest(`http://127.0.0.1:${state.ports.chartmuseum}/api/charts?force=true`, {
        method: 'POST',
        body: readFileSync(chart),
      });
      assert.equal(upload.status, 201, upload.body);
      await run(
        'helm',
        ['push', chart, `oci://127.0.0.1:${state.ports.registry}/charts-prod`, '--plain-http'],
        { env },
      );
    }
  });

  it('ChartMuseum, dev with a branch: the newest version built from that branch', async () => {
    assert.deepEqual(await plannedVersion('dev', 'dev'), ['1.2.0-dev.1a2b3c4']);
  });

  it('a branch with a slash finds its builds, and takes the one pushed last, not the largest hash', async () => {
    // What `chart release` on feature/login pushes: the pre-release feature-login. The older build
    // has the lexically larger hash.
    for (const version of ['1.4.0-feature-login.fff0000', '1.4.0-feature-login.0aa1111']) {
      const upload = await httpRequest(`http://127.0.0.1:${state.ports.chartmuseum}/api/charts?force=true`, {
        method: 'POST',
        body: readFileSync(await packageAs('versioned', version)),
      });
      assert.equal(upload.status, 201, upload.body);
    }
    assert.deepEqual(await plannedVersion('dev', 'feature/login'), ['1.4.0-feature-login.0aa1111']);
  });

  it('OCI registry, prod: the newest released version', async () => {
    assert.deepEqual(await plannedVersion('prod'), ['1.1.0']);
  });

  it('a dev branch with no build of its own: exit 2 naming chart, branch and repository', async () => {
    const file = writeRelease(fleet.dir, 'nobuild.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'versioned.versioned', environment: 'dev', branch: 'feature-x' },
      spec: { chart_name: 'versioned' },
    });
    const result = await regatta(['plan', '--fleet', fleet.file, file], env);
    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /chart versioned has no version built from branch feature-x in http:\/\/127\.0\.0\.1:\d+ \(publish it, or set spec\.chart_version\)/,
    );
  });

  it('deploys a chart pulled from the OCI registry', async () => {
    const file = writeRelease(fleet.dir, 'from-oci.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'versioned.from-oci', environment: 'prod' },
      spec: { chart_name: 'versioned' },
    });
    const result = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(
      deployJson<{ outcomes: { status: string }[] }>(result.stdout).outcomes.every(
        (o: { status: string }) => o.status === 'deployed',
      ),
    );
  });
});
