import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeployExecution } from '../../../src/deploy/execute.js';
import { GateError, type GateActions } from '../../../src/deploy/gates.js';
import { runWaves } from '../../../src/deploy/waves.js';
import { placeClusters } from '../../../src/config/rollout.js';
import { UserError } from '../../../src/errors.js';
import type { Cluster, Fleet } from '../../../src/model/fleet.js';
import { deployExitCode } from '../../../src/model/outcome.js';
import type { Release } from '../../../src/model/release.js';
import type { RolloutStrategy } from '../../../src/model/rollout.js';
import { checkWaveName, planWaves } from '../../../src/plan/waves.js';
import { silentProgress } from '../../../src/report/progress.js';
import { entry, executeOptions, good, recordingActions } from './support.js';

const position = { file: 'regatta.yaml', line: 1, col: 1 };
const cluster = (name: string, labels: Record<string, string> = {}): Cluster => ({
  name,
  context: name,
  env: 'prod',
  cloud: true,
  region: 'r',
  labels,
  globals: {},
  position,
});
const clusters = [cluster('eu', { provider: 'datacenter' }), cluster('us'), cluster('asia')];
const strategy = (extra: Partial<RolloutStrategy> = {}): RolloutStrategy => ({
  waves: [
    {
      name: 'canary',
      names: ['eu'],
      soakSeconds: 5,
      checks: [{ run: './smoke.sh', timeoutSeconds: 60 }],
      helmTest: false,
      position,
    },
    { name: 'rest', selector: {}, soakSeconds: 0, checks: [], helmTest: false, maxParallel: 1, position },
  ],
  position,
  ...extra,
});
const fleet = (rollout?: RolloutStrategy): Fleet => ({
  file: 'regatta.yaml',
  vault: { auth: { kind: 'token' } },
  environments: {
    prod: {
      name: 'prod',
      engine: 'helm',
      secrets: 'vault',
      secretStore: 'vault',
      branches: ['prod'],
      chartRepository: { url: 'oci://r/c', type: 'oci', plainHttp: true },
      ...(rollout ? { rollout } : {}),
    },
  },
  clusters,
});
const release = { name: 'web', namespace: 'web', environment: 'prod', file: 'web.yaml', position } as Release;
const plan = { entries: clusters.map((c) => entry(c.name, 'upgrade', 1)) };

describe('placing clusters in waves', () => {
  it('names first, then selectors take what is left; {} takes all the rest', () => {
    const placed = placeClusters(strategy(), clusters, 'prod');
    assert.deepEqual(
      [...placed].map(([w, cs]) => [w, cs.map((c) => c.name)]),
      [
        ['canary', ['eu']],
        ['rest', ['us', 'asia']],
      ],
    );
  });
  it('a wave that selects nothing, a cluster in two waves, a cluster in no wave: the file is wrong', () => {
    const bad = (waves: RolloutStrategy['waves']) => () =>
      placeClusters({ waves, position }, clusters, 'prod');
    const wave = (name: string, sel: Partial<RolloutStrategy['waves'][number]>) => ({
      name,
      soakSeconds: 0,
      checks: [],
      helmTest: false,
      position,
      ...sel,
    });
    assert.throws(
      bad([wave('a', { selector: { provider: 'mars' } }), wave('b', { selector: {} })]),
      (e: unknown) => e instanceof UserError && /selects no cluster/.test(e.message),
    );
    assert.throws(
      bad([wave('a', { names: ['eu'] }), wave('b', { names: ['eu', 'us'] }), wave('c', { selector: {} })]),
      (e: unknown) => e instanceof UserError && /in two waves/.test(e.message),
    );
    assert.throws(
      bad([wave('a', { names: ['eu'] })]),
      (e: unknown) => e instanceof UserError && /us, asia are in no wave/.test(e.message),
    );
  });
});

describe('planning waves', () => {
  it('cuts the plan by the environment strategy, with its gates; without one, a single wave "all"', () => {
    const waves = planWaves(plan, [release], fleet(strategy({ approvalBefore: 'rest' })), {
      skipGates: false,
    });
    assert.deepEqual(
      waves.map((w) => [w.name, w.clusters, w.soakSeconds, w.checks.length, w.approval, w.maxParallel]),
      [
        ['canary', ['eu'], 5, 1, false, undefined],
        ['rest', ['us', 'asia'], 0, 0, true, 1],
      ],
    );
    assert.deepEqual(
      planWaves(plan, [release], fleet(), { skipGates: false }).map((w) => [w.name, w.clusters.length]),
      [['all', 3]],
    );
  });
  it('--wave keeps one wave; --skip-gates drops soak, checks and approval; an unknown wave is exit 2', () => {
    assert.deepEqual(
      planWaves(plan, [release], fleet(strategy()), { only: 'rest', skipGates: false }).map((w) => w.name),
      ['rest'],
    );
    const skipped = planWaves(plan, [release], fleet(strategy({ approvalBefore: 'rest' })), {
      skipGates: true,
    });
    assert.ok(skipped.every((w) => w.soakSeconds === 0 && w.checks.length === 0 && !w.approval));
    assert.throws(
      () => planWaves(plan, [release], fleet(strategy()), { only: 'nope', skipGates: false }),
      UserError,
    ); // …and it is checked before anything is read from a cluster.
    checkWaveName('rest', [release], fleet(strategy()));
    assert.throws(() => checkWaveName('nope', [release], fleet(strategy())), /--wave nope: no such wave/);
  });
});

const DEPLOY = '20261125T100000Z-bbbb';
const options = executeOptions(DEPLOY);

function recordingGates(fail: { soak?: string; check?: string } = {}): GateActions & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async soak(entries, seconds) {
      calls.push(`soak ${entries.map((e) => e.target.cluster).join(',')} ${seconds}s`);
      if (fail.soak) throw new GateError(fail.soak);
    },
    async check(e, check) {
      calls.push(`check ${e.target.cluster} ${check.run}`);
      if (fail.check) throw new GateError(fail.check);
    },
    async helmTest(e) {
      calls.push(`helm test ${e.target.cluster}`);
    },
  };
}

async function deployWaves(
  rollout: RolloutStrategy,
  actionsFail: string[],
  gates: ReturnType<typeof recordingGates>,
  resumeBefore?: string,
) {
  const histories = Object.fromEntries(clusters.map((c) => [c.name, [good(1, 'd1', 'deployed')]]));
  const { actions, calls } = recordingActions(histories, { deployId: DEPLOY, failIn: actionsFail });
  const waves = planWaves(plan, [release], fleet(rollout), { skipGates: false });
  const execution = new DeployExecution(
    waves.flatMap((w) => w.entries),
    options,
    actions,
  );
  const result = await runWaves(execution, waves, { progress: silentProgress, gates, resumeBefore });
  if (result.pausedBefore) {
    execution.dispose();
    return { result, calls, histories, report: undefined };
  }
  return { result, calls, histories, report: await execution.finish() };
}

describe('deploying wave by wave', () => {
  it('a failing canary: the rest is never touched, the canary goes back to last good', async () => {
    const { calls, report } = await deployWaves(strategy(), ['eu'], recordingGates());
    assert.deepEqual(
      calls.filter((c) => c.startsWith('upgrade')),
      ['upgrade eu'],
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith('rollback')),
      ['rollback eu 1'],
    );
    assert.equal(report?.wave, 'canary');
    assert.equal(deployExitCode(report!), 1);
  });

  it('a failure in the second wave rolls back both waves', async () => {
    const { calls, report } = await deployWaves(strategy(), ['asia'], recordingGates());
    assert.deepEqual(calls.filter((c) => c.startsWith('rollback')).sort(), [
      'rollback asia 1',
      'rollback eu 1',
      'rollback us 1',
    ]);
    assert.equal(report?.wave, 'rest');
  });

  it('the gates run after a wave, before the next; a failing check or soak rolls back and stops', async () => {
    const passing = recordingGates();
    const ok = await deployWaves(strategy(), [], passing);
    assert.deepEqual(passing.calls, ['soak eu 5s', 'check eu ./smoke.sh']);
    assert.equal(deployExitCode(ok.report!), 0);
    for (const fail of [
      { check: 'check `./smoke.sh` exited with 1 in eu web.web' },
      { soak: 'soak: eu web.web: a container restarted' },
    ]) {
      const { calls, report } = await deployWaves(strategy(), [], recordingGates(fail));
      assert.deepEqual(
        calls.filter((c) => c.startsWith('upgrade')),
        ['upgrade eu'],
        'the rest is never touched',
      );
      assert.deepEqual(
        calls.filter((c) => c.startsWith('rollback')),
        ['rollback eu 1'],
      );
      assert.equal(report?.wave, 'canary');
      assert.equal(report?.reason, fail.check ?? fail.soak);
    }
  });

  it('an approval pauses before its wave; the resumed deploy goes on from there', async () => {
    const paused = await deployWaves(strategy({ approvalBefore: 'rest' }), [], recordingGates());
    assert.equal(paused.result.pausedBefore, 'rest');
    assert.deepEqual(
      paused.calls.filter((c) => c.startsWith('upgrade')),
      ['upgrade eu'],
    );
    assert.ok(!paused.calls.some((c) => c.startsWith('label')), 'no verdict while paused');
    const resumed = await deployWaves(strategy({ approvalBefore: 'rest' }), [], recordingGates(), 'rest');
    assert.deepEqual(resumed.calls.filter((c) => c.startsWith('upgrade')).sort(), [
      'upgrade asia',
      'upgrade us',
    ]);
    assert.equal(resumed.result.pausedBefore, undefined);
  });
});
