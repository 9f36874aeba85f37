import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { gitopsHistory } from '../../../src/gitops/history.js';
import type { GitopsRelease } from '../../../src/gitops/render.js';
import { fluxEnvironment, gitopsDeployFailure, gitopsRemote } from '../../../src/gitops/run.js';
import { gitopsWaves } from '../../../src/gitops/waves.js';
import type { Cluster, Environment, Fleet } from '../../../src/model/fleet.js';
import type { Release } from '../../../src/model/release.js';
import type { RolloutStrategy, WaveSpec } from '../../../src/model/rollout.js';

const at = { file: '/fleet.yaml', line: 3, col: 5 };
const cluster = (name: string, env = 'prod'): Cluster => ({
  name,
  context: name,
  env,
  cloud: false,
  region: name,
  labels: {},
  globals: {},
  position: at,
});
const wave = (name: string, names?: string[]): WaveSpec => ({
  name,
  ...(names ? { names } : { selector: {} }),
  soakSeconds: name === 'canary' ? 30 : 0,
  checks: [],
  helmTest: false,
  position: at,
});
const strategy = (...waves: WaveSpec[]): RolloutStrategy => ({ waves, position: at });
const prod: Environment = {
  name: 'prod',
  branches: ['prod'],
  engine: 'flux',
  secrets: 'vault',
  secretStore: 'vault',
  rollout: strategy(wave('canary', ['prod-a']), wave('rest')),
  gitops: { repo: '${GIT}/fleet.git', branch: 'fleet', position: at },
};
const dev: Environment = {
  name: 'dev',
  branches: ['dev'],
  engine: 'helm',
  secrets: 'vault',
  secretStore: 'vault',
};
const clusters = [cluster('prod-a'), cluster('prod-b'), cluster('prod-c'), cluster('dev-a', 'dev')];
const fleet: Fleet = {
  file: '/fleet.yaml',
  vault: { auth: { kind: 'token' } },
  environments: { prod, dev },
  clusters,
};
const release = (name: string, extra: Partial<Release> = {}): Release => ({
  file: `/releases/${name}.yaml`,
  position: { file: `/releases/${name}.yaml`, line: 1, col: 1 },
  name,
  namespace: 'ns',
  environment: 'prod',
  chart: { name },
  values: {},
  valuesFiles: [],
  scaling: [],
  secrets: [],
  ...extra,
});
const gitops = (r: Release): GitopsRelease => ({
  release: r,
  origin: { kind: 'repository', version: '1.0.0' },
  valuesFiles: [],
});
const prodClusters = clusters.filter((c) => c.env === 'prod');

describe('Flux waves', () => {
  it('are whole clusters, in the environment’s order, with the gates of the wave', () => {
    const waves = gitopsWaves([gitops(release('web')), gitops(release('api'))], prodClusters, fleet, {
      skipGates: false,
    });
    assert.deepEqual(
      waves.map((w) => [w.name, w.clusters, w.entries.length, w.soakSeconds]),
      [
        ['canary', ['prod-a'], 2, 30],
        ['rest', ['prod-b', 'prod-c'], 4, 0],
      ],
    );
  });

  it('refuse a release whose own waves would split a cluster’s folder over two commits (exit 2 at the release)', () => {
    const own = release('api', { rollout: strategy(wave('first', ['prod-b']), wave('then')) });
    assert.throws(
      () => gitopsWaves([gitops(release('web')), gitops(own)], prodClusters, fleet, { skipGates: false }),
      (error: unknown) =>
        error instanceof UserError &&
        error.exitCode === 2 &&
        /cluster prod-\w in wave \w+, another release puts it in wave \w+/.test(error.message) &&
        error.position?.file === '/releases/api.yaml',
    );
  });

  it('--skip-gates drops soaks; --wave keeps one wave', () => {
    const waves = gitopsWaves([gitops(release('web'))], prodClusters, fleet, {
      skipGates: true,
      only: 'rest',
    });
    assert.deepEqual(
      waves.map((w) => [w.name, w.soakSeconds]),
      [['rest', 0]],
    );
  });
});

describe('which engine a command drives', () => {
  it('is Flux for a Flux environment’s releases, helm otherwise; a mix is refused', () => {
    assert.equal(fluxEnvironment(fleet, [release('web')], { clusters: [], labels: {} })?.name, 'prod');
    assert.equal(
      fluxEnvironment(fleet, [release('web', { environment: 'dev' })], { clusters: [], labels: {} }),
      undefined,
    );
    assert.throws(
      () =>
        fluxEnvironment(fleet, [release('web'), release('api', { environment: 'dev' })], {
          clusters: [],
          labels: {},
        } as never),
      (error: unknown) => error instanceof UserError && /--env prod/.test(error.hint ?? ''),
    );
  });
});

describe('the fleet repository of a Flux environment', () => {
  it('comes from the flags, else the fleet file, with ${VAR} read from the environment', () => {
    assert.deepEqual(gitopsRemote(fleet, prod, {}, { GIT: 'http://127.0.0.1:9000' }), {
      repo: 'http://127.0.0.1:9000/fleet.git',
      branch: 'fleet',
    });
    assert.deepEqual(gitopsRemote(fleet, prod, { repo: 'http://x/y.git', branch: 'b' }, {}), {
      repo: 'http://x/y.git',
      branch: 'b',
    });
  });

  it('is an input error when a variable is unset or nothing names it, at the fleet file', () => {
    assert.throws(
      () => gitopsRemote(fleet, prod, {}, {}),
      (error: unknown) =>
        error instanceof UserError && /\$\{GIT\}/.test(error.message) && error.position === at,
    );
    const bare = { ...prod, gitops: undefined };
    assert.throws(
      () => gitopsRemote(fleet, bare, {}, {}),
      (error: unknown) => error instanceof UserError && /gitops: \{ repo/.test(error.hint ?? ''),
    );
  });
});

describe('a Flux deploy’s ending', () => {
  const report = { deployId: 'd1', waves: [], outcomes: [] };
  it('is success without a failure; exit 1 when reverted and back; exit 3 when not every cluster came back', () => {
    assert.equal(gitopsDeployFailure(report), undefined);
    const failure = { wave: 'canary', reason: 'web.ns@prod-a: failed (UpgradeFailed)' };
    assert.equal(
      gitopsDeployFailure({ ...report, failure, revert: 'abc12345ff', revertConverged: true })?.exitCode,
      1,
    );
    assert.equal(
      gitopsDeployFailure({ ...report, failure, revert: 'abc12345ff', revertConverged: false })?.exitCode,
      3,
    );
    assert.equal(gitopsDeployFailure({ ...report, failure })?.exitCode, 1);
    assert.equal(
      gitopsDeployFailure({
        ...report,
        failure: { wave: 'rest', reason: 'interrupted' },
        revert: 'a',
        revertConverged: true,
      })?.exitCode,
      130,
    );
  });

  it('is exit 3 naming the reason when the deploy’s commits could not be reverted, even after a signal', () => {
    for (const reason of ['web.ns@prod-a: failed', 'interrupted']) {
      const error = gitopsDeployFailure({
        ...report,
        failure: { wave: 'rest', reason },
        revertConverged: false,
        revertError: 'cannot revert abc12345: later commits changed the same files',
      });
      assert.equal(error?.exitCode, 3);
      assert.match(error?.message ?? '', /could not be reverted: cannot revert abc12345/);
    }
  });
});

describe('a fleet branch’s history', () => {
  it('lists Regatta’s commits newest first, marking deploys a revert undid', () => {
    const log = [
      {
        commit: 'c4',
        author: 'ci',
        date: '2026-11-25T10:04:00Z',
        message: 'regatta revert d2: wave canary failed\n\nx\n\nRegatta-Deploy-Id: d2\n',
      },
      {
        commit: 'c3',
        author: 'ci',
        date: '2026-11-25T10:03:00Z',
        message:
          'regatta deploy d2: prod, wave canary (1/2), 1 releases × 1 clusters\n\nRegatta-Deploy-Id: d2\nRegatta-Wave: canary\n',
      },
      { commit: 'c2', author: 'ann', date: '2026-11-25T10:02:00Z', message: 'hand edit of the README' },
      {
        commit: 'c1',
        author: 'ci',
        date: '2026-11-25T10:01:00Z',
        message:
          'regatta deploy d1: prod, 1 releases × 3 clusters\n\nRegatta-Deploy-Id: d1\nRegatta-Wave: all\n',
      },
    ];
    assert.deepEqual(
      gitopsHistory(log).map((e) => [e.deployId, e.kind, e.wave ?? '', e.reverted, e.commit]),
      [
        ['d2', 'revert', '', false, 'c4'],
        ['d2', 'deploy', 'canary', true, 'c3'],
        ['d1', 'deploy', 'all', false, 'c1'],
      ],
    );
  });
});
