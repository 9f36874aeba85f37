import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { clustersOfPaths } from '../../../src/gitops/abort.js';
import { startingWave, waitsForApproval } from '../../../src/gitops/deploy.js';
import { deployCommits, gitopsHistory, pausedDeploy, previousDeploy } from '../../../src/gitops/history.js';
import type { LoggedCommit } from '../../../src/adapters/git.js';
import type { Cluster } from '../../../src/model/fleet.js';
import type { PlannedWave } from '../../../src/plan/waves.js';

let clock = 0;
/** One commit as `git log` gives it; `log(…)` takes them oldest first and returns newest first. */
const commit = (subject: string, trailers: Record<string, string> = {}, author = 'ci'): LoggedCommit => ({
  commit: `c${++clock}`,
  author,
  date: `2026-11-25T10:${String(clock).padStart(2, '0')}:00Z`,
  message: `${subject}\n\n${Object.entries(trailers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}`,
});
const log = (...oldestFirst: LoggedCommit[]) => gitopsHistory([...oldestFirst].reverse());
const deploy = (id: string, wave = 'all', environment = 'prod') =>
  commit(`regatta deploy ${id}: ${environment}, wave ${wave}`, {
    'Regatta-Deploy-Id': id,
    'Regatta-Environment': environment,
    'Regatta-Wave': wave,
  });
const resume = (id: string, before: string) =>
  commit(`regatta resume ${id}: prod, approved before wave ${before}`, {
    'Regatta-Deploy-Id': id,
    'Regatta-Environment': 'prod',
    'Regatta-Approved-Before': before,
  });
const pause = (id: string, before: string, author = 'ci') =>
  commit(
    `regatta pause ${id}: prod, waiting for approval before wave ${before}`,
    { 'Regatta-Deploy-Id': id, 'Regatta-Paused-Before': before },
    author,
  );
const revert = (id: string) => commit(`regatta revert ${id}: wave x failed`, { 'Regatta-Deploy-Id': id });
const rollback = (id: string, to: string) =>
  commit(`regatta rollback ${id}: prod web back to ${to}`, {
    'Regatta-Deploy-Id': id,
    'Regatta-Rollback-To': to,
  });

const waves = (...names: string[]): PlannedWave[] =>
  names.map((name, index) => ({
    name,
    clusters: [`${name}-1`],
    entries: [],
    soakSeconds: 0,
    checks: [],
    helmTests: [],
    approval: index > 0,
  }));

describe('a deploy paused at an approval, in git', () => {
  it('is the newest Regatta commit being a pause; a plain commit after it does not end it', () => {
    const history = log(deploy('d1', 'canary'), pause('d1', 'prod'), commit('fix the README by hand'));
    assert.equal(pausedDeploy(history, 'prod')?.deployId, 'd1');
    assert.equal(pausedDeploy(history, 'prod')?.wave, 'prod');
    assert.deepEqual(
      deployCommits(history, 'd1').map((e) => e.wave),
      ['canary'],
    );
  });

  it('is ended by its resume (which records the approval) or its revert', () => {
    const history = log(deploy('d1', 'canary'), pause('d1', 'prod'), resume('d1', 'prod'));
    assert.equal(pausedDeploy(history, 'prod'), undefined);
    assert.deepEqual([history[0]?.kind, history[0]?.wave], ['resume', 'prod']);
    for (const later of [revert('d1'), deploy('d2'), rollback('r1', 'd0')])
      assert.equal(pausedDeploy(log(deploy('d1', 'canary'), pause('d1', 'prod'), later), 'prod'), undefined);
  });

  it('holds the branch: a new deploy is refused naming it; its resume starts at the paused wave', () => {
    const history = log(deploy('d1', 'canary'), pause('d1', 'prod', 'ann'));
    assert.throws(
      () =>
        startingWave(history, waves('canary', 'prod'), {
          deployId: 'd2',
          resume: false,
          branch: 'main',
          environment: 'prod',
        }),
      (error: unknown) =>
        error instanceof UserError &&
        /deploy d1 is paused before wave prod on main \(ann, /.test(error.message) &&
        /--resume d1/.test(error.hint ?? ''),
    );
    assert.equal(
      startingWave(history, waves('canary', 'prod'), {
        deployId: 'd1',
        resume: true,
        branch: 'main',
        environment: 'prod',
      }),
      1,
    );
  });

  it('refuses a resume of a deploy that is not the paused one, or of a wave the files lack', () => {
    const history = log(deploy('d1', 'canary'), pause('d1', 'prod'));
    assert.throws(
      () =>
        startingWave(history, waves('canary', 'prod'), {
          deployId: 'd0',
          resume: true,
          branch: 'main',
          environment: 'prod',
        }),
      (error: unknown) =>
        error instanceof UserError && /d0 is not paused/.test(error.message) && /d1/.test(error.hint ?? ''),
    );
    assert.throws(
      () =>
        startingWave(history, waves('canary', 'rest'), {
          deployId: 'd1',
          resume: true,
          branch: 'main',
          environment: 'prod',
        }),
      (error: unknown) =>
        error instanceof UserError && /wave prod, which these files do not have/.test(error.message),
    );
    assert.throws(
      () =>
        startingWave(log(deploy('d1')), waves('all'), {
          deployId: 'd1',
          resume: true,
          branch: 'main',
          environment: 'prod',
        }),
      (error: unknown) => error instanceof UserError && /d1 is not paused/.test(error.message),
    );
  });

  it('is per environment: another environment’s commits on the same branch neither end nor share it', () => {
    const history = log(deploy('d1', 'canary'), pause('d1', 'prod'), deploy('s1', 'all', 'staging'));
    assert.equal(pausedDeploy(history, 'prod')?.deployId, 'd1');
    assert.equal(pausedDeploy(history, 'staging'), undefined);
  });

  it('lets a deploy start at its first wave when nothing is paused', () => {
    assert.equal(
      startingWave(log(deploy('d1'), revert('d1')), waves('canary', 'prod'), {
        deployId: 'd2',
        resume: false,
        branch: 'main',
        environment: 'prod',
      }),
      0,
    );
  });
});

describe('where a Flux deploy pauses', () => {
  it('before every wave behind an approval, the first of a selection too, but not the one a resume starts at', () => {
    const [canary, rest] = waves('canary', 'rest') as [PlannedWave, PlannedWave];
    assert.equal(waitsForApproval(canary, 0, { start: 0, resume: false }), false);
    assert.equal(waitsForApproval(rest, 1, { start: 0, resume: false }), true);
    assert.equal(waitsForApproval(rest, 0, { start: 0, resume: false }), true, 'a selection left only rest');
    assert.equal(waitsForApproval(rest, 1, { start: 1, resume: true }), false);
  });
});

describe('rollback --previous from a release’s history in git', () => {
  it('is the deploy before the live one, skipping reverted deploys and the live one’s other waves', () => {
    assert.equal(previousDeploy(log(deploy('d1'), deploy('d2', 'canary'), deploy('d2', 'prod'))), 'd1');
    assert.equal(previousDeploy(log(deploy('d1'), deploy('d2'), deploy('d3'), revert('d3'))), 'd1');
  });

  it('after a rollback, is the deploy before the one rolled back to', () => {
    assert.equal(previousDeploy(log(deploy('d1'), deploy('d2'), deploy('d3'), rollback('r1', 'd2'))), 'd1');
  });

  it('after a rollback then a new deploy, is what the rollback returned to (not the release rolled back from)', () => {
    assert.equal(
      previousDeploy(log(deploy('d1'), deploy('d2'), deploy('d3'), rollback('r1', 'd2'), deploy('d4'))),
      'd2',
    );
  });

  it('is undefined with a single good deploy', () => {
    assert.equal(previousDeploy(log(deploy('d1'), deploy('d2'), revert('d2'))), undefined);
  });
});

describe('the clusters an abort watches', () => {
  it('are those whose folders the deploy’s commits changed', () => {
    const cluster = (name: string) => ({ name }) as Cluster;
    assert.deepEqual(
      clustersOfPaths(
        ['clusters/eu/releases/web.apps.yaml', 'clusters/us/kustomization.yaml', 'README.md'],
        ['eu', 'us', 'eu-2', 'asia'].map(cluster),
      ).map((c) => c.name),
      ['eu', 'us'],
    );
  });
});
