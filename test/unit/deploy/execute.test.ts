import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { EventEmitter } from 'node:events';
import { executePlan, type ExecuteOptions } from '../../../src/deploy/execute.js';
import type { TargetActions } from '../../../src/deploy/actions.js';
import type { ClusterSilence } from '../../../src/deploy/lock.js';
import { deployExitCode } from '../../../src/model/outcome.js';
import type { PlanEntry } from '../../../src/model/plan.js';
import type { DeployEvent } from '../../../src/model/events.js';
import { VERDICT_LABEL } from '../../../src/model/helm-release.js';
import { entry, executeOptions, good, recordingActions, revision } from './support.js';

const DEPLOY = '20261125T100000Z-aaaa';

const options = (extra: Partial<ExecuteOptions> = {}) => executeOptions(DEPLOY, extra);

const clusters = ['eu', 'us', 'asia'];

/**
 * Three releases deployed in asia, then eu fails: every target is brought back one at a time,
 * asia's history reads failing with `error`. How many of them were tried, and the report.
 */
async function rollbackWhereHistoryFails(error: Error, answersWhenAsked = true) {
  const histories = { asia: [good(1, 'd1', 'deployed')], eu: [good(1, 'd1', 'deployed')] };
  const recorded = recordingActions(histories, { deployId: DEPLOY, failIn: ['eu'] });
  let reads = 0;
  let asked = 0;
  const actions = {
    ...recorded.actions,
    reach: async (e: PlanEntry) => {
      if (e.target.cluster !== 'asia') return;
      asked++;
      if (!answersWhenAsked) throw new Error('asia does not answer (no answer within 10s)');
    },
    history: async (e: PlanEntry) => {
      if (e.target.cluster !== 'asia') return recorded.actions.history(e);
      reads++;
      throw error;
    },
  };
  const entries = [
    ...['web', 'api', 'db'].map((release) => {
      const e = entry('asia', 'upgrade', 1);
      return { ...e, target: { ...e.target, release } };
    }),
    entry('eu', 'upgrade', 1),
  ];
  const report = await executePlan({ plan: { entries } }, options({ concurrency: 1 }), actions);
  return { report, reads, asked };
}

describe('executing a plan: one coordinated decision over every outcome', () => {
  it('a success records the verdict good on every revision it made, and touches nothing else', async () => {
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY });
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      options(),
      actions,
    );
    assert.equal(deployExitCode(report), 0);
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['deployed', 'deployed', 'deployed'],
    );
    assert.deepEqual(calls.filter((c) => c.startsWith('label')).sort(), [
      'label asia 2 good',
      'label eu 2 good',
      'label us 2 good',
    ]);
    assert.ok(!calls.some((c) => c.startsWith('rollback')));
  });

  it("each outcome carries its target's timings: observing and rendering it, then its upgrade's phases and verdict", async () => {
    const { actions } = recordingActions(
      { eu: [good(1, 'd1', 'deployed')], us: [good(1, 'd1', 'deployed')] },
      {
        deployId: DEPLOY,
        phases: [
          ['upgrade', 1.5],
          ['postRender', 0.25],
          ['wait', 3],
        ],
      },
    );
    const entries = [entry('eu', 'upgrade', 1), entry('us', 'unchanged', 1)];
    const report = await executePlan(
      { plan: { entries } },
      options({
        planTimings: new Map([
          ['web.web@eu', { observe: 0.5, render: 0.75 }],
          ['web.web@us', { observe: 0.5 }],
        ]),
      }),
      actions,
    );
    const [eu, us] = report.outcomes;
    const { verdict, ...phases } = eu!.timings!;
    assert.deepEqual(phases, { observe: 0.5, render: 0.75, upgrade: 1.5, postRender: 0.25, wait: 3 });
    assert.equal(typeof verdict, 'number');
    assert.deepEqual(us!.timings, { observe: 0.5 });
  });

  it('bringing a target back is bounded by --rollback-timeout from its start: every step gets that deadline', async () => {
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions } = recordingActions(histories, { deployId: DEPLOY, failIn: ['asia'] });
    const deadlines: Record<string, (number | undefined)[]> = {};
    const seen = (step: string, deadline: number | undefined) => (deadlines[step] ??= []).push(deadline);
    const bounded = {
      ...actions,
      history: (e: Parameters<typeof actions.history>[0], deadline?: number) => {
        seen('history', deadline);
        return actions.history(e, deadline);
      },
      rollback: (e: Parameters<typeof actions.rollback>[0], to: number, deadline?: number) => {
        seen('rollback', deadline);
        return actions.rollback(e, to, deadline);
      },
    };
    const before = Date.now();
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      options({ rollbackTimeoutSeconds: 20 }),
      bounded,
    );
    const after = Date.now();
    assert.equal(deployExitCode(report), 1);
    assert.equal(deadlines.history?.length, 3);
    assert.equal(deadlines.rollback?.length, 3);
    for (const deadline of [...deadlines.history!, ...deadlines.rollback!]) {
      assert.ok(
        deadline !== undefined && deadline >= before + 20_000 && deadline <= after + 20_000,
        `${deadline}`,
      );
    }
  });

  it('a cluster where a target failed for want of an answer is asked once, not per target: its targets are given up on at once; a cluster not in doubt is not asked', async () => {
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, {
      deployId: DEPLOY,
      failIn: ['asia'],
      failWith:
        'helm upgrade failed: kubernetes cluster unreachable: Get "https://asia:6443/version": net/http: TLS handshake timeout',
      silentIn: ['asia'],
    });
    const named = (cluster: string, release: string) => {
      const e = entry(cluster, 'upgrade', 1);
      return { ...e, target: { ...e.target, release } };
    };
    const entries = [
      entry('eu', 'upgrade', 1),
      ...['web', 'api', 'db'].map((release) => named('asia', release)),
    ];
    const report = await executePlan({ plan: { entries } }, options(), actions);
    assert.equal(deployExitCode(report), 3);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('reach')),
      ['reach asia'],
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith('rollback')),
      ['rollback eu 1'],
    );
    assert.deepEqual(report.silent, ['asia']);
    const asia = report.outcomes.filter((o) => o.entry.target.cluster === 'asia');
    assert.deepEqual(
      asia.map((o) => [o.status, o.rollbackError]),
      Array(3).fill(['rollback-failed', 'asia does not answer (no answer within 10s)']),
    );
    assert.equal(report.outcomes.find((o) => o.entry.target.cluster === 'eu')?.status, 'rolled-back');
  });

  it('a request left unanswered while bringing one target back: the cluster is asked, once, and if silent the targets still to come there are not tried', async () => {
    const { report, reads, asked } = await rollbackWhereHistoryFails(
      new DOMException('no answer within 30000 ms', 'TimeoutError'),
      false,
    );
    assert.equal(reads, 1);
    assert.equal(asked, 1);
    assert.deepEqual(report.silent, ['asia']);
    assert.deepEqual(
      report.outcomes.map((o) => [o.entry.target.cluster, o.status]),
      [
        ['asia', 'rollback-failed'],
        ['asia', 'rollback-failed'],
        ['asia', 'rollback-failed'],
        ['eu', 'rolled-back'],
      ],
    );
  });

  it('a request left unanswered in a cluster that still answers when asked again (it was slow): the next targets there are tried', async () => {
    const { report, reads, asked } = await rollbackWhereHistoryFails(
      new DOMException('no answer within 30000 ms', 'TimeoutError'),
    );
    assert.equal(reads, 3);
    assert.equal(asked, 2, 'asked after each unanswered request but the last (no target left there)');
    assert.equal(report.silent, undefined);
  });

  it('a cluster found not answering is asked again for a target that begins 30 s later: one that answers by then has it brought back', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const histories = { asia: [good(1, 'd1', 'deployed')], eu: [good(1, 'd1', 'deployed')] };
      const recorded = recordingActions(histories, { deployId: DEPLOY, failIn: ['eu'] });
      let reads = 0;
      let asked = 0;
      const actions = {
        ...recorded.actions,
        reach: async (e: PlanEntry) => {
          if (e.target.cluster !== 'asia') return;
          if (++asked === 1) throw new Error('asia does not answer (no answer within 10s)');
        },
        history: async (e: PlanEntry) => {
          if (e.target.cluster === 'asia' && ++reads === 1)
            throw new DOMException('no answer within 30000 ms', 'TimeoutError');
          return recorded.actions.history(e);
        },
      };
      // The first target's rollback fails; the next one begins 31 s later.
      const progress = {
        line: () => undefined,
        event: (event: DeployEvent) => {
          if (event.type === 'target' && event.state === 'rollback-failed') mock.timers.tick(31_000);
        },
      };
      const entries = [
        ...['web', 'api'].map((release) => {
          const e = entry('asia', 'upgrade', 1);
          return { ...e, target: { ...e.target, release } };
        }),
        entry('eu', 'upgrade', 1),
      ];
      const report = await executePlan({ plan: { entries } }, options({ concurrency: 1, progress }), actions);
      assert.equal(asked, 2);
      assert.deepEqual(
        report.outcomes.map((o) => [o.entry.target.cluster, o.status]),
        [
          ['asia', 'rollback-failed'],
          ['asia', 'rolled-back'],
          ['eu', 'rolled-back'],
        ],
      );
      assert.equal(report.silent, undefined, 'it answered since');
    } finally {
      mock.timers.reset();
    }
  });

  it('a rollback that failed for another reason (the cluster answered) does not stop the next target there', async () => {
    const { report, reads, asked } = await rollbackWhereHistoryFails(
      new Error('secrets is forbidden: User "ci" cannot list resource "secrets"'),
    );
    assert.equal(reads, 3);
    assert.equal(asked, 0, 'a cluster not in doubt is not asked');
    assert.equal(report.silent, undefined);
  });

  it('a rollout failing in one cluster rolls every cluster back to last good — the failing one included', async () => {
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY, failIn: ['asia'] });
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      options(),
      actions,
    );
    assert.equal(deployExitCode(report), 1);
    assert.equal(report.cause, 'failure');
    assert.deepEqual(calls.filter((c) => c.startsWith('rollback')).sort(), [
      'rollback asia 1',
      'rollback eu 1',
      'rollback us 1',
    ]);
    for (const c of clusters) {
      assert.equal(histories[c]!.at(-1)!.description, 'Rollback to 1');
      assert.equal(histories[c]!.at(-1)!.status, 'deployed');
    }
    // The revisions of the failed deploy are marked so; none is ever a rollback target again.
    assert.equal(histories.eu![1]!.labels[VERDICT_LABEL], 'failed');
    assert.equal(
      report.outcomes.find((o) => o.entry.target.cluster === 'asia')?.error?.includes('Progress deadline'),
      true,
    );
  });

  it('never rolls back to a failed revision: the last good one, skipping failed and undecided ones', async () => {
    const histories = {
      eu: [
        good(1, 'd1'),
        revision(2, 'failed', { 'regatta.io/deploy-id': 'd2' }),
        revision(3, 'deployed', { 'regatta.io/deploy-id': 'd3' }),
      ],
    };
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY, failIn: ['eu'] });
    await executePlan({ plan: { entries: [entry('eu', 'upgrade', 3)] } }, options(), actions);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('rollback')),
      ['rollback eu 1'],
    );
  });

  it('a first install that fails is uninstalled everywhere it reached', async () => {
    const histories: Record<string, ReturnType<typeof revision>[]> = {};
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY, failIn: ['us'] });
    const report = await executePlan(
      { plan: { entries: ['eu', 'us'].map((c) => entry(c, 'install')) } },
      options({ concurrency: 1 }),
      actions,
    );
    assert.deepEqual(calls.filter((c) => c.startsWith('uninstall')).sort(), ['uninstall eu', 'uninstall us']);
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['rolled-back', 'rolled-back'],
    );
  });

  it('fails fast: after the first failure nothing new starts, and what was untouched stays untouched', async () => {
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY, failIn: ['eu'] });
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      options({ concurrency: 1 }),
      actions,
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith('upgrade')),
      ['upgrade eu'],
    );
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['rolled-back', 'untouched', 'untouched'],
    );
    assert.equal(histories.us!.length, 1);
  });

  it('stops the targets in flight when one fails, unlocks what they left, and rolls them back', async () => {
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, {
      deployId: DEPLOY,
      failIn: ['eu'],
      hangIn: ['us'],
    });
    const report = await executePlan(
      { plan: { entries: [entry('us', 'upgrade', 1), entry('eu', 'upgrade', 1)] } },
      options(),
      actions,
    );
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['rolled-back', 'rolled-back'],
    );
    assert.match(report.outcomes[0]!.error!, /stopped: eu failed/);
    assert.ok(calls.includes('rollback us 1'));
  });

  it("a cluster heard to stop answering mid-deploy fails the deploy then, not at helm's timeout: a failure (not an interrupt), every touched target brought back, that cluster asked once", async () => {
    const silence: ClusterSilence = new EventEmitter();
    const why = "us stopped answering (its heartbeat's renewal got no answer within 30s)";
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, {
      deployId: DEPLOY,
      hangIn: ['us'],
      silentIn: ['us'],
      onUpgrade: (cluster) => cluster === 'us' && setImmediate(() => silence.emit('silent', 'us', why)),
    });
    const report = await executePlan(
      { plan: { entries: [entry('eu', 'upgrade', 1), entry('us', 'upgrade', 1)] } },
      options({ silence, wave: 'all' }),
      actions,
    );
    assert.equal(report.cause, 'failure');
    assert.equal(report.reason, why);
    assert.equal(deployExitCode(report), 3);
    const [eu, us] = report.outcomes;
    assert.equal(eu!.status, 'rolled-back');
    assert.equal(us!.status, 'rollback-failed');
    assert.equal(us!.error, `stopped: ${why}`);
    assert.deepEqual(report.silent, ['us']);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('reach')),
      ['reach us'],
    );
    assert.equal(silence.listenerCount('silent'), 0, 'no longer listening once the deploy is over');
  });

  /** eu, then us, one at a time; `heard` is heard silent as the upgrade in `during` begins. */
  async function silenceHeard(heard: string, during: string) {
    const silence: ClusterSilence = new EventEmitter();
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions } = recordingActions(histories, {
      deployId: DEPLOY,
      onUpgrade: (cluster) =>
        cluster === during && silence.emit('silent', heard, `${heard} stopped answering`),
    });
    return executePlan(
      { plan: { entries: [entry('eu', 'upgrade', 1), entry('us', 'upgrade', 1)] } },
      options({ silence, concurrency: 1 }),
      actions,
    );
  }

  it('a cluster heard to stop answering once its targets are done does not fail the deploy', async () => {
    const report = await silenceHeard('eu', 'us');
    assert.equal(deployExitCode(report), 0);
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['deployed', 'deployed'],
    );
  });

  it('a cluster heard to stop answering before its targets begin does not fail the deploy (it may answer by then)', async () => {
    const report = await silenceHeard('us', 'eu');
    assert.equal(deployExitCode(report), 0);
    assert.deepEqual(
      report.outcomes.map((o) => o.status),
      ['deployed', 'deployed'],
    );
  });

  it("a silence heard once the deploy is stopping leaves the failure's reason as it was; the cluster is only in doubt", async () => {
    const silence: ClusterSilence = new EventEmitter();
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const recorded = recordingActions(histories, { deployId: DEPLOY, failIn: ['eu'], hangIn: ['us'] });
    const actions = {
      ...recorded.actions,
      // Heard after eu's failure stopped the deploy, while us's helm is being stopped.
      upgrade: (e: PlanEntry, signal: AbortSignal, took?: Parameters<TargetActions['upgrade']>[2]) => {
        if (e.target.cluster === 'us')
          signal.addEventListener('abort', () => silence.emit('silent', 'us', 'us stopped answering'), {
            once: true,
          });
        return recorded.actions.upgrade(e, signal, took);
      },
    };
    const report = await executePlan(
      { plan: { entries: [entry('us', 'upgrade', 1), entry('eu', 'upgrade', 1)] } },
      options({ silence }),
      actions,
    );
    assert.equal(report.cause, 'failure');
    assert.match(report.reason ?? '', /^eu: .*Progress deadline exceeded/);
    assert.ok(
      recorded.calls.includes('reach us'),
      'us, heard silent, is asked before its target is brought back',
    );
    assert.ok(!recorded.calls.includes('reach eu'));
  });

  it('a first Ctrl-C stops new work and puts back what was done; exit 130', async () => {
    const interrupt = new AbortController();
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, {
      deployId: DEPLOY,
      onUpgrade: (cluster) => cluster === 'us' && interrupt.abort(),
    });
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      options({ concurrency: 1, interrupt: interrupt.signal }),
      actions,
    );
    assert.equal(report.cause, 'interrupt');
    assert.equal(deployExitCode(report), 130);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('upgrade')),
      ['upgrade eu', 'upgrade us'],
    );
    assert.deepEqual(calls.filter((c) => c.startsWith('rollback')).sort(), [
      'rollback eu 1',
      'rollback us 1',
    ]);
    assert.equal(histories.asia!.length, 1);
  });

  it('leaves alone a revision someone else made after this deploy, and says so (exit 1)', async () => {
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions, calls } = recordingActions(histories, {
      deployId: DEPLOY,
      failIn: ['us'],
      onUpgrade: (cluster) => {
        if (cluster !== 'us') return;
        // Between our upgrade of eu and our decision, someone else upgraded eu.
        queueMicrotask(() =>
          histories.eu!.push(revision(3, 'deployed', { 'regatta.io/deploy-id': 'other' })),
        );
      },
    });
    const report = await executePlan(
      { plan: { entries: [entry('eu', 'upgrade', 1), entry('us', 'upgrade', 1)] } },
      options({ concurrency: 1 }),
      actions,
    );
    assert.equal(report.outcomes[0]!.status, 'left-alone');
    assert.ok(!calls.includes('rollback eu 1'));
    assert.equal(deployExitCode(report), 1);
  });

  it('unlocks a release a killed helm left pending before upgrading it, and says so', async () => {
    const histories = {
      eu: [good(1, 'd1'), revision(2, 'pending-upgrade', { 'regatta.io/deploy-id': 'dead' })],
    };
    const { actions, calls } = recordingActions(histories, { deployId: DEPLOY });
    const e = { ...entry('eu', 'upgrade', 2), unlock: { revision: 2, status: 'pending-upgrade' } };
    const report = await executePlan({ plan: { entries: [e] } }, options(), actions);
    assert.deepEqual(calls.slice(0, 2), ['unlock eu 2', 'upgrade eu']);
    assert.match(report.outcomes[0]!.recovered!, /pending-upgrade/);
  });

  it('a rollback that cannot complete is exit 3', async () => {
    const histories = Object.fromEntries(['eu', 'us'].map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions } = recordingActions(histories, { deployId: DEPLOY, failIn: ['us'] });
    actions.rollback = async (e) => {
      if (e.target.cluster === 'eu') throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    };
    const report = await executePlan(
      { plan: { entries: [entry('eu', 'upgrade', 1), entry('us', 'upgrade', 1)] } },
      options(),
      actions,
    );
    assert.equal(report.outcomes[0]!.status, 'rollback-failed');
    assert.equal(deployExitCode(report), 3);
  });
});
