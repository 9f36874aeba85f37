import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { before, describe, it } from 'node:test';
import { httpRequest } from '../../src/adapters/http.js';
import { parse, stringify } from 'yaml';
import { listChartVersions } from '../../src/adapters/chartrepo.js';
import { run } from '../../src/adapters/process.js';
import { packageRoot } from '../../src/paths.js';
import { commitId } from '../../src/plan/chart-version.js';
import { regatta, testSandbox } from './support/sandbox.js';

const { state, env } = testSandbox();
const repo = mkdtempSync(join(tmpdir(), 'regatta-charts-repo-'));
const chartmuseum = {
  url: `http://127.0.0.1:${state.ports.chartmuseum}`,
  type: 'chartmuseum' as const,
  plainHttp: true,
};
const oci = {
  url: `oci://127.0.0.1:${state.ports.registry}/charts-staging`,
  type: 'oci' as const,
  plainHttp: true,
};

function writeChart(name: string, version: string, dependencies: object[] = []) {
  const dir = join(repo, 'charts', name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'Chart.yaml'),
    stringify({ apiVersion: 'v2', name, version, ...(dependencies.length ? { dependencies } : {}) }),
  );
  writeFileSync(join(dir, 'values.yaml'), 'replicas: 1\n');
  writeFileSync(
    join(dir, 'templates', 'configmap.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  region: {{ .Values.global.region | quote }}\n`,
  );
}

const git = (...args: string[]) =>
  run('git', args, {
    cwd: repo,
    env: {
      ...env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  });
const version = (name: string) =>
  (parse(readFileSync(join(repo, 'charts', name, 'Chart.yaml'), 'utf8')) as { version: string }).version;
/** On a new branch, commits `manifest` as the rother chart's Deployment template. */
async function commitRotherDeployment(branch: string, manifest: string, message: string) {
  await git('checkout', '-q', '-b', branch);
  writeFileSync(join(repo, 'charts', 'rother', 'templates', 'deployment.yaml'), manifest);
  await git('add', '.');
  await git('commit', '-qm', message);
}
const validateChart = (chart: string) =>
  regatta(['chart', 'validate', chart, '--env', 'dev', '--fleet', join(repo, 'regatta.yaml')], env, repo);
const chartRelease = (...args: string[]) =>
  regatta(['chart', 'release', '--fleet', join(repo, 'regatta.yaml'), ...args], env, repo);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A ChartMuseum of the test's own (local storage, these flags), healthy; kill() it when done. */
async function startChartMuseum(flags: string[]): Promise<{ url: string; kill: () => void }> {
  const port = await freePort();
  const storage = mkdtempSync(join(tmpdir(), 'regatta-cm-'));
  const museum = spawn(state.binaries.chartmuseum as string, [
    '--listen-host=127.0.0.1',
    `--port=${port}`,
    '--storage=local',
    `--storage-local-rootdir=${storage}`,
    ...flags,
  ]);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if ((await httpRequest(`${url}/health`).catch(() => undefined))?.status === 200)
      return { url, kill: () => museum.kill() };
    await new Promise((r) => setTimeout(r, 100));
  }
  museum.kill();
  throw new Error(`${url} did not become healthy`);
}

describe('regatta chart release', () => {
  let featureCommit = '';

  before(async () => {
    writeFileSync(
      join(repo, 'regatta.yaml'),
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Fleet',
        environments: {
          dev: { branches: ['dev', 'feature-*'], chartRepository: { url: chartmuseum.url } },
          staging: { branches: ['main'], chartRepository: { url: oci.url } },
        },
        clusters: [
          { name: 'dev-us-central1-0', env: 'dev', region: 'us-central1' },
          { name: 'dev-europe-west1-0', env: 'dev', region: 'europe-west1' },
          { name: 'staging-us-central1', env: 'staging', region: 'us-central1' },
        ],
      }),
    );
    writeChart('rlib', '1.0.0');
    writeChart('rapp', '1.2.0', [{ name: 'rlib', version: '1.0.0', repository: 'file://../rlib' }]);
    writeChart('rumbrella', '2.0.0', [{ name: 'rapp', version: '1.2.0', repository: 'file://../rapp' }]);
    writeChart('rother', '0.1.0');
    await git('init', '-q', '-b', 'main');
    await git('add', '.');
    await git('commit', '-q', '-m', 'charts');
    await git('checkout', '-q', '-b', 'feature-x');
    appendFileSync(join(repo, 'charts', 'rlib', 'values.yaml'), 'more: true\n');
    await git('commit', '-qam', 'change rlib');
    // An all-digit hash gets a `g` in front (the rule is unit-tested with nextVersion).
    featureCommit = commitId((await git('rev-parse', '--short=8', 'HEAD')).stdout.trim());
  });

  it('--dry-run: the environment from the branch, what changed, the transitive bumps; nothing written', async () => {
    const result = await chartRelease('--dry-run', '--output', 'json');
    assert.equal(result.exitCode, 0, result.stderr);
    const plan = JSON.parse(result.stdout);
    assert.equal(plan.environment, 'dev');
    assert.deepEqual(plan.changed, ['rlib']);
    assert.deepEqual(
      plan.plan.bumps.map((b: { chart: string; to: string; reason: string }) => [b.chart, b.to, b.reason]),
      [
        ['rapp', `1.2.1-feature-x.${featureCommit}`, 'depends on rlib'],
        ['rlib', `1.0.1-feature-x.${featureCommit}`, 'changed'],
        ['rumbrella', `2.0.1-feature-x.${featureCommit}`, 'depends on rapp'],
      ],
    );
    assert.deepEqual(plan.clusters, ['dev-us-central1-0', 'dev-europe-west1-0']);
    assert.equal(version('rlib'), '1.0.0');
  });

  it('bumps, lints, renders, packages and pushes to ChartMuseum; parents require the new versions', async () => {
    const result = await chartRelease();
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(version('rlib'), `1.0.1-feature-x.${featureCommit}`);
    assert.equal(version('rother'), '0.1.0');
    const app = parse(readFileSync(join(repo, 'charts', 'rapp', 'Chart.yaml'), 'utf8'));
    assert.equal(app.dependencies[0].version, `1.0.1-feature-x.${featureCommit}`);
    for (const [chart, expected] of [
      ['rlib', '1.0.1'],
      ['rapp', '1.2.1'],
      ['rumbrella', '2.0.1'],
    ]) {
      assert.deepEqual(await listChartVersions(chartmuseum, chart as string), [
        `${expected}-feature-x.${featureCommit}`,
      ]);
    }
    assert.deepEqual(await listChartVersions(chartmuseum, 'rother'), []);
  });

  it('refuses a version the repository already has (exit 1, nothing pushed) unless --force', async () => {
    await git('checkout', '-q', '--', '.');
    const again = await chartRelease();
    assert.equal(again.exitCode, 1, again.stderr);
    assert.match(again.stderr, /already in http:\/\/127\.0\.0\.1:\d+: .*rlib 1\.0\.1-feature-x/);
    assert.equal(version('rlib'), '1.0.0', 'nothing written when refused');
    const forced = await chartRelease('--force');
    assert.equal(forced.exitCode, 0, forced.stderr);
  });

  it('on main: staging, plain versions, pushed to the OCI registry, and --commit records the bumps', async () => {
    await git('checkout', '-q', '--', '.');
    await git('checkout', '-q', 'main');
    await git('merge', '-q', '--no-ff', '-m', 'merge feature-x', 'feature-x');
    const result = await chartRelease('--commit');
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(version('rumbrella'), '2.0.1');
    assert.deepEqual(await listChartVersions(oci, 'rlib'), ['1.0.1']);
    const log = (await git('log', '-1', '--format=%B')).stdout;
    assert.match(log, /- rlib 1\.0\.0 → 1\.0\.1 \(changed\)/);
    const status = await git('status', '--porcelain', '--', 'charts/*/Chart.yaml', 'charts/*/Chart.lock');
    assert.equal(status.stdout.trim(), '', 'Chart.yaml files and locks are committed');
    const lock = parse(readFileSync(join(repo, 'charts', 'rumbrella', 'Chart.lock'), 'utf8'));
    assert.equal(lock.dependencies[0].version, '1.2.1');
  });

  it("a rendered object its cluster's schema rejects: exit 1 with chart, template, object and field; nothing pushed", async () => {
    await commitRotherDeployment(
      'feature-bad',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rother\nspec:\n  replicass: 2\n  selector: { matchLabels: { app: rother } }\n  template:\n    metadata: { labels: { app: rother } }\n    spec: { containers: [{ name: c, image: x }] }\n',
      'typo',
    );
    const result = await chartRelease();
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /1 schema violation\(s\)|2 schema violation\(s\)/);
    assert.match(
      result.stderr,
      /rother rother\/templates\/deployment\.yaml Deployment\/rother spec\.replicass: unknown field \(dev-us-central1-0\)/,
    );
    assert.deepEqual(await listChartVersions(chartmuseum, 'rother'), []);
    assert.equal(version('rother'), '0.1.0', 'Chart.yaml restored');

    const rendered = (
      await run('helm', ['template', 'rother', join(repo, 'charts', 'rother'), '--set', 'global.region=x'], {
        env,
      })
    ).stdout;
    const offline = await run(
      process.execPath,
      [
        join(packageRoot, 'bin', 'regatta.js'),
        'chart',
        'validate',
        '-',
        '--env',
        'dev',
        '--offline',
        '--fleet',
        join(repo, 'regatta.yaml'),
      ],
      { env, input: rendered },
    ).catch((e) => e.result);
    assert.equal(offline.exitCode, 1);
    assert.match(
      offline.stdout,
      /dev-europe-west1-0\s+rother\/templates\/deployment\.yaml\s+Deployment\/rother\s+spec\.replicass\s+unknown field/,
    );
    const chartFolder = await validateChart(join(repo, 'charts', 'rother'));
    assert.equal(chartFolder.exitCode, 1, chartFolder.stderr);
    assert.match(
      chartFolder.stdout,
      /dev-us-central1-0\s+rother\/templates\/deployment\.yaml\s+Deployment\/rother\s+spec\.replicass\s+unknown field/,
    );
    await git('checkout', '-q', '-f', 'main');
  });

  it("chart validate of a chart that does not render (the seed's Helm 2 TillerVersion): exit 2, template and line, what to do", async () => {
    const result = await validateChart(join(packageRoot, 'test', 'fixtures', 'charts', 'tiller'));
    assert.equal(result.exitCode, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: \S+tiller for dev-us-central1-0: helm template failed: tiller\/templates\/secret\.yaml:\d+:\d+ .*\(\.Capabilities\.TillerVersion existed only in Helm 2: remove it/,
    );
  });

  it('--server-dry-run: what the schema allows but an API server refuses stops the release too', async () => {
    await commitRotherDeployment(
      'feature-dry',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rother\nspec:\n  selector: { matchLabels: { app: rother } }\n  template:\n    metadata: { labels: { app: something-else } }\n    spec: { containers: [{ name: c, image: x }] }\n',
      'selector mismatch',
    );
    const result = await chartRelease('--server-dry-run');
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(
      result.stderr,
      /rother Deployment\/rother: .*selector.*\(dev-us-central1-0, server dry run\)/,
    );
    assert.deepEqual(await listChartVersions(chartmuseum, 'rother'), []);
    await git('checkout', '-q', '-f', 'main');
  });

  it('ChartMuseum with basic auth: the password comes from the variable the fleet names, and is never printed', async () => {
    const password = `pw-${Date.now()}`;
    const museum = await startChartMuseum(['--basic-auth-user=ci', `--basic-auth-pass=${password}`]);
    try {
      const url = museum.url;
      const fleet = parse(readFileSync(join(repo, 'regatta.yaml'), 'utf8'));
      fleet.environments.dev.chartRepository = { url, username: 'ci', passwordEnv: 'TEST_CM_PASSWORD' };
      const fleetFile = join(repo, 'regatta-auth.yaml');
      writeFileSync(fleetFile, stringify(fleet));
      await git('checkout', '-q', '-f', '-b', 'feature-auth', 'main');
      appendFileSync(join(repo, 'charts', 'rother', 'values.yaml'), 'auth: true\n');
      await git('commit', '-qam', 'change rother');
      const build = `0.1.1-feature-auth.${commitId((await git('rev-parse', '--short=8', 'HEAD')).stdout.trim())}`;
      const missing = await regatta(['chart', 'release', '--fleet', fleetFile], env, repo);
      assert.equal(missing.exitCode, 2);
      assert.match(missing.stderr, /needs a password in TEST_CM_PASSWORD, which is not set/);
      const released = await regatta(
        ['chart', 'release', '--fleet', fleetFile],
        { ...env, TEST_CM_PASSWORD: password },
        repo,
      );
      assert.equal(released.exitCode, 0, released.stderr);
      assert.ok(!(released.stdout + released.stderr).includes(password));
      const anonymous = await httpRequest(`${url}/index.yaml`);
      assert.equal(anonymous.status, 401, 'the repository really demands the password');

      // A deploy pulls the branch's build from the same protected repository.
      const releaseFile = join(repo, 'rother-release.yaml');
      writeFileSync(
        releaseFile,
        stringify({
          apiVersion: 'regatta/v1',
          kind: 'Release',
          metadata: { name: 'rother.rother-auth', environment: 'dev', branch: 'feature-auth' },
          spec: { chart_name: 'rother' },
        }),
      );
      const scratch = mkdtempSync(join(tmpdir(), 'regatta-deploy-tmp-'));
      const deployed = await regatta(
        ['deploy', '--fleet', fleetFile, releaseFile, '--cluster', 'dev-us-central1-0'],
        { ...env, TEST_CM_PASSWORD: password, TMPDIR: scratch },
        repo,
      );
      assert.equal(deployed.exitCode, 0, deployed.stderr);
      assert.ok(!(deployed.stdout + deployed.stderr).includes(password));
      assert.ok(deployed.stderr.includes(`installing rother ${build}`), deployed.stderr);
      const region = await run(
        'kubectl',
        [
          '--context',
          'dev-us-central1-0',
          '-n',
          'rother-auth',
          'get',
          'configmap',
          'rother',
          '-o',
          'jsonpath={.data.region}',
        ],
        { env },
      );
      assert.equal(region.stdout, 'us-central1');
      assert.deepEqual(readdirSync(scratch), [], 'the pulled chart archive is removed at exit');
      process.env.TEST_CM_PASSWORD = password;
      try {
        const repository = {
          url,
          type: 'chartmuseum' as const,
          plainHttp: true,
          basicAuth: { username: 'ci', passwordEnv: 'TEST_CM_PASSWORD' },
        };
        const versions = await listChartVersions(repository, 'rother');
        assert.equal(versions.length, 1);
        assert.deepEqual(versions, [build]);
      } finally {
        delete process.env.TEST_CM_PASSWORD;
      }
      await git('checkout', '-q', '-f', 'main');
    } finally {
      museum.kill();
    }
  });

  it('a push that fails part-way: exit 1 naming exactly what was pushed and what was not', async () => {
    // A repository that refuses to replace a version, even with ?force=true.
    const museum = await startChartMuseum(['--disable-force-overwrite']);
    try {
      const url = museum.url;
      const fleet = parse(readFileSync(join(repo, 'regatta.yaml'), 'utf8'));
      fleet.environments.dev.chartRepository = { url };
      const fleetFile = join(repo, 'regatta-partial.yaml');
      writeFileSync(fleetFile, stringify(fleet));
      await git('checkout', '-q', '-f', '-b', 'feature-partial', 'main');
      const before = { rlib: version('rlib'), rapp: version('rapp'), rumbrella: version('rumbrella') };
      appendFileSync(join(repo, 'charts', 'rlib', 'values.yaml'), 'partial: true\n');
      await git('commit', '-qam', 'change rlib');
      const commit = commitId((await git('rev-parse', '--short=8', 'HEAD')).stdout.trim());
      const next = (v: string) =>
        `${v.replace(/\d+$/, (patch) => String(Number(patch) + 1))}-feature-partial.${commit}`;
      // The umbrella's new version is already there: its push (the last, by name) is refused.
      const taken = mkdtempSync(join(tmpdir(), 'regatta-taken-'));
      writeFileSync(
        join(taken, 'Chart.yaml'),
        stringify({ apiVersion: 'v2', name: 'rumbrella', version: next(before.rumbrella) }),
      );
      const packaged = await run('helm', ['package', taken, '-d', taken], { env });
      const tgz = /saved it to: (.+\.tgz)/.exec(packaged.stdout)?.[1] ?? '';
      assert.equal(
        (await httpRequest(`${url}/api/charts`, { method: 'POST', body: readFileSync(tgz) })).status,
        201,
      );

      const result = await regatta(['chart', 'release', '--fleet', fleetFile, '--force'], env, repo);
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      const line = result.stderr.trim().split('\n').at(-1) ?? '';
      assert.ok(line.startsWith('error: '), result.stderr);
      assert.ok(
        line.includes(`pushing rumbrella ${next(before.rumbrella)} to ${url} failed: `) &&
          line.includes(
            `; pushed: rapp ${next(before.rapp)}, rlib ${next(before.rlib)}; not pushed: rumbrella ${next(before.rumbrella)}; Chart.yaml files restored`,
          ),
        line,
      );
      assert.match(line, /\(the repository holds the pushed versions, git does not: .*--force\)$/);
      assert.deepEqual(
        { rlib: version('rlib'), rapp: version('rapp'), rumbrella: version('rumbrella') },
        before,
        'Chart.yaml files restored',
      );
      const repository = { url, type: 'chartmuseum' as const, plainHttp: true };
      assert.deepEqual(await listChartVersions(repository, 'rapp'), [next(before.rapp)]);
      assert.deepEqual(await listChartVersions(repository, 'rlib'), [next(before.rlib)]);
      await git('checkout', '-q', '-f', 'main');
    } finally {
      museum.kill();
    }
  });

  it('a branch that feeds no environment: exit 2', async () => {
    const result = await chartRelease('--branch', 'hotfix', '--dry-run');
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /^error: branch hotfix feeds no environment/);
  });

  it('a shallow clone without --base: exit 2 saying so, instead of guessing HEAD~1', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'regatta-shallow-'));
    await git('checkout', '-q', '-f', '-b', 'feature-shallow', 'main');
    appendFileSync(join(repo, 'charts', 'rother', 'values.yaml'), 'shallow: true\n');
    await git('commit', '-qam', 'change rother');
    // What CI checks out: the branch alone, one commit deep.
    await run(
      'git',
      ['clone', '-q', '--depth', '1', '--branch', 'feature-shallow', `file://${repo}`, clone],
      {
        env,
      },
    );
    await git('checkout', '-q', '-f', 'main');
    const result = await regatta(
      ['chart', 'release', '--fleet', join(repo, 'regatta.yaml'), '--dry-run'],
      env,
      clone,
    );
    assert.equal(result.exitCode, 2, result.stdout + result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /shallow clone: the merge base of feature-shallow and dev is not in this checkout.*\(fetch the history .* or pass --base REF\)/,
    );
    const withBase = await regatta(
      [
        'chart',
        'release',
        '--fleet',
        join(repo, 'regatta.yaml'),
        '--dry-run',
        '--base',
        'HEAD',
        '--output',
        'json',
      ],
      env,
      clone,
    );
    assert.equal(withBase.exitCode, 0, withBase.stderr);
  });

  it('chart graph prints the local dependencies', async () => {
    const result = await regatta(['chart', 'graph'], env, repo);
    assert.match(result.stdout, /rumbrella\s+2\.0\.1\s+charts\/rumbrella\s+rapp/);
  });
});
