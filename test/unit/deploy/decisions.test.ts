import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HelmError, silentHelmMessage } from '../../../src/adapters/helm.js';
import { isNoAnswer, isTransient, retryTransient } from '../../../src/adapters/transient.js';
import { recoveryStep } from '../../../src/deploy/rollback.js';
import { UserError } from '../../../src/errors.js';
import { revisionLabels } from '../../../src/model/helm-release.js';
import type { WorkloadObservation } from '../../../src/model/workload.js';
import { historyOf } from '../../../src/plan/history.js';
import { lastGoodRevision, verdictOf } from '../../../src/plan/last-good.js';
import { heartbeatName, leaseState, pausedAnnotations } from '../../../src/plan/lease.js';
import { decideRemedy } from '../../../src/plan/remediation.js';
import { checkRollbackTarget, previousGoodDeployId } from '../../../src/plan/rollback-target.js';
import { rolloutState } from '../../../src/plan/rollout.js';
import { parseDuration, parsePositiveInteger } from '../../../src/cli/common.js';
import { good, revision } from './support.js';

const deployment = (extra: Partial<WorkloadObservation>): WorkloadObservation => ({
  kind: 'Deployment',
  namespace: 'web',
  name: 'web',
  exists: true,
  generation: 3,
  observedGeneration: 3,
  desired: 2,
  current: 2,
  updated: 2,
  ready: 2,
  available: 2,
  conditions: [
    { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: 't1' },
  ],
  ...extra,
});
const deadline = (at: string) => [
  {
    type: 'Progressing',
    status: 'False',
    reason: 'ProgressDeadlineExceeded',
    message: 'ReplicaSet "web-b" has timed out progressing.',
    lastUpdateTime: at,
  },
];

describe('rollout state, read as the deployment controller writes it', () => {
  it('a Deployment going back to its old ReplicaSet keeps the failed rollout’s condition: that is not a failure of the rollback', () => {
    // The controller saw the new generation but no progress yet: old condition, new observedGeneration.
    const now = deployment({
      generation: 3,
      observedGeneration: 3,
      updated: 1,
      current: 3,
      progressDeadlineSeconds: 40,
      conditions: deadline('t5'),
    });
    // Helm's watcher (kstatus) reads exactly this as Failed.
    assert.equal(rolloutState(now, 2).state, 'progressing');
    assert.match((rolloutState(now, 2) as { detail: string }).detail, /giving it its 40s \(2s so far\)/);
  });

  it('a condition written just after our change, by a controller whose clock ran while it was away, waits its deadline too', () => {
    // The API server and controller come back: the controller finds a rollout it last saw minutes
    // ago and times it out at once, although its Pods are coming up.
    const now = deployment({
      updated: 2,
      available: 1,
      progressDeadlineSeconds: 40,
      conditions: deadline('t9'),
    });
    assert.equal(rolloutState(now, 39.9).state, 'progressing');
  });

  it('a rollout that makes no progress for its whole deadline after our change has failed, whatever wrote the condition', () => {
    const now = deployment({
      updated: 1,
      current: 3,
      progressDeadlineSeconds: 40,
      conditions: deadline('t5'),
    });
    assert.deepEqual(rolloutState(now, 40), {
      state: 'failed',
      reason: 'ReplicaSet "web-b" has timed out progressing.',
    });
    // Read without a change of ours (a soak, status): the condition is taken as it is.
    assert.equal(rolloutState(now).state, 'failed');
    // Complete counts win: the controller replaces the condition in the same sync.
    assert.equal(rolloutState(deployment({ conditions: deadline('t5') }), 40).state, 'done');
  });

  it('is done only when every replica is updated, old ones are gone and all are available', () => {
    assert.equal(rolloutState(deployment({})).state, 'done');
    assert.equal(rolloutState(deployment({ observedGeneration: 2 })).state, 'progressing');
    assert.equal(rolloutState(deployment({ updated: 1 })).state, 'progressing');
    assert.equal(rolloutState(deployment({ current: 3 })).state, 'progressing');
    assert.equal(rolloutState(deployment({ available: 1 })).state, 'progressing');
    assert.equal(rolloutState(deployment({ exists: false })).state, 'progressing');
    assert.equal(
      rolloutState(
        deployment({ kind: 'StatefulSet', currentRevision: 'a', updateRevision: 'b', conditions: [] }),
      ).state,
      'progressing',
    );
  });
});

describe('last good', () => {
  it('is the newest revision a successful deploy vouched for; failed and unfinished ones never are', () => {
    const history = [
      good(1, 'd1'),
      revision(2, 'superseded', { 'regatta.io/deploy-id': 'd2', 'regatta.io/verdict': 'failed' }),
      revision(3, 'deployed', { 'regatta.io/deploy-id': 'd3' }),
    ];
    assert.equal(verdictOf(history[2]!, history), 'undecided');
    assert.equal(lastGoodRevision(history)?.revision, 1);
  });

  it('a rollback revision carries the verdict of what it restored; helm’s own revisions count by status', () => {
    const history = [
      good(1, 'd1'),
      revision(2, 'superseded', { 'regatta.io/deploy-id': 'd2' }, 'Upgrade "web" failed: x'),
      revision(3, 'deployed', {}, 'Rollback to 1'),
    ];
    assert.equal(verdictOf(history[1]!, history), 'failed');
    assert.equal(verdictOf(history[2]!, history), 'good');
    assert.equal(lastGoodRevision(history)?.revision, 3);
    assert.equal(lastGoodRevision([revision(1, 'deployed')])?.revision, 1);
    assert.equal(lastGoodRevision([revision(1, 'failed')]), undefined);
  });
});

describe('remedies', () => {
  const id = 'mine';
  it('rolls back only what this deploy made, unlocking it first if helm was stopped', () => {
    const history = [good(1, 'd1'), revision(2, 'pending-upgrade', { 'regatta.io/deploy-id': id })];
    assert.deepEqual(decideRemedy({ deployId: id, history, previousRevision: 1, wasAbsent: false }), {
      kind: 'rollback',
      to: 1,
      unlock: 2,
    });
  });
  it('does nothing where nothing of it arrived, and leaves alone what someone else made', () => {
    assert.equal(
      decideRemedy({
        deployId: id,
        history: [good(1, 'd1', 'deployed')],
        previousRevision: 1,
        wasAbsent: false,
      }).kind,
      'none',
    );
    const other = [
      good(1, 'd1'),
      revision(2, 'superseded', { 'regatta.io/deploy-id': id }),
      revision(3, 'deployed', { 'regatta.io/deploy-id': 'theirs' }),
    ];
    assert.equal(
      decideRemedy({ deployId: id, history: other, previousRevision: 1, wasAbsent: false }).kind,
      'leave',
    );
  });
  it('uninstalls a first install; is stuck when nothing earlier was ever good and not ours', () => {
    assert.equal(
      decideRemedy({
        deployId: id,
        history: [revision(1, 'failed', { 'regatta.io/deploy-id': id })],
        wasAbsent: true,
      }).kind,
      'uninstall',
    );
    const legacy = [revision(1, 'failed'), revision(2, 'failed', { 'regatta.io/deploy-id': id })];
    assert.equal(
      decideRemedy({ deployId: id, history: legacy, previousRevision: 1, wasAbsent: false }).kind,
      'stuck',
    );
  });
});

describe('rollback targets', () => {
  const byCluster = new Map([
    [
      'eu',
      [
        good(1, 'd1'),
        revision(2, 'superseded', { 'regatta.io/deploy-id': 'd2', 'regatta.io/verdict': 'failed' }),
        revision(
          3,
          'superseded',
          { 'regatta.io/deploy-id': 'd1', 'regatta.io/verdict': 'good' },
          'Rollback to 1',
        ),
        good(4, 'd3', 'deployed'),
      ],
    ],
  ]);
  const entries = historyOf(byCluster);
  it('--previous is the last successful deploy before the live one: d1, never the failed d2', () => {
    assert.equal(previousGoodDeployId(entries, 'web'), 'd1');
    assert.deepEqual(
      entries.map((e) => [e.deployId, e.verdict, e.liveIn]),
      [
        ['d1', 'good', []],
        ['d2', 'failed', []],
        ['d3', 'good', ['eu']],
      ],
    );
  });
  it('--to a failed deploy is refused (exit 2) unless forced', () => {
    assert.throws(
      () => checkRollbackTarget(entries, 'd2', 'web', false),
      (e: unknown) => e instanceof UserError && /failed/.test(e.message),
    );
    checkRollbackTarget(entries, 'd2', 'web', true);
    checkRollbackTarget(entries, 'd1', 'web', false);
  });
});

describe('recover', () => {
  it('unlocks a pending release and brings it to last good; leaves a good one alone', () => {
    const pending = [good(1, 'd1'), revision(2, 'pending-upgrade', { 'regatta.io/deploy-id': 'd2' })];
    const step = recoveryStep(pending);
    assert.equal(step.kind, 'rollback');
    assert.equal(step.kind === 'rollback' && step.unlock?.revision, 2);
    assert.equal(recoveryStep([good(1, 'd1', 'deployed')]).kind, 'nothing');
    assert.equal(
      recoveryStep([good(1, 'd1'), revision(2, 'deployed', { 'regatta.io/deploy-id': 'd2' })]).kind,
      'rollback',
    );
  });
});

describe('the fleet lock', () => {
  const now = new Date('2026-11-25T10:00:00Z');
  const lease = (holder: string, renewed: string, host = 'ci-1', pid = 42) => ({
    name: 'regatta-lock.web',
    namespace: 'web',
    holder,
    renewTime: new Date(renewed),
    durationSeconds: 60,
    annotations: { 'regatta.io/lock-host': host, 'regatta.io/lock-pid': String(pid) },
  });
  const context = (alive: boolean) => ({ me: 'me', host: 'ci-1', now, processAlive: () => alive });
  it('is held while its holder renews it and lives; expired or dead holders can be taken over', () => {
    assert.equal(leaseState(undefined, context(true)), 'free');
    assert.equal(leaseState(lease('other', '2026-11-25T09:59:50Z'), context(true)), 'held');
    assert.equal(leaseState(lease('other', '2026-11-25T09:58:00Z'), context(true)), 'expired');
    assert.equal(leaseState(lease('other', '2026-11-25T09:59:50Z'), context(false)), 'holder-dead');
    assert.equal(leaseState(lease('other', '2026-11-25T09:59:50Z', 'laptop'), context(false)), 'held');
    assert.equal(leaseState(lease('me', '2026-11-25T09:59:50Z'), context(true)), 'mine');
  });

  it('is as alive as the heartbeat it names, whatever its own renewal says', () => {
    const naming = (holder: string, renewed: string) => {
      const own = lease(holder, renewed);
      return { ...own, annotations: { ...own.annotations, 'regatta.io/lock-heartbeat-in': 'web' } };
    };
    const heartbeat = (holder: string, renewed: string) => ({
      ...lease(holder, renewed),
      name: heartbeatName(holder),
    });
    const withHeartbeat = (alive: boolean, beat?: ReturnType<typeof heartbeat>) => ({
      ...context(alive),
      heartbeat: beat,
    });
    // Taken long ago, never renewed itself: held while its run's heartbeat is renewed.
    const old = naming('other', '2026-11-25T08:00:00Z');
    assert.equal(leaseState(old, withHeartbeat(true, heartbeat('other', '2026-11-25T09:59:50Z'))), 'held');
    assert.equal(leaseState(old, withHeartbeat(true, heartbeat('other', '2026-11-25T09:58:00Z'))), 'expired');
    // Its heartbeat gone (the run ended, or a taker deleted it), or another run's: nobody keeps it.
    assert.equal(leaseState(old, withHeartbeat(true)), 'expired');
    assert.equal(leaseState(old, withHeartbeat(true, heartbeat('third', '2026-11-25T09:59:50Z'))), 'expired');
    // A fresh lock naming a dead heartbeat is no more alive than it.
    const fresh = naming('other', '2026-11-25T09:59:59Z');
    assert.equal(
      leaseState(fresh, withHeartbeat(true, heartbeat('other', '2026-11-25T09:58:00Z'))),
      'expired',
    );
    // Alive heartbeat, but its process is gone on this very machine.
    assert.equal(
      leaseState(old, withHeartbeat(false, heartbeat('other', '2026-11-25T09:59:50Z'))),
      'holder-dead',
    );
    assert.equal(leaseState(naming('me', '2026-11-25T08:00:00Z'), withHeartbeat(true)), 'mine');
    // A heartbeat in a namespace this user may not read: held, unless its process is gone here.
    assert.equal(leaseState(old, { ...context(true), heartbeat: 'unreadable' }), 'held');
    assert.equal(leaseState(old, { ...context(false), heartbeat: 'unreadable' }), 'holder-dead');
    assert.equal(
      leaseState(lease('other', '2026-11-25T08:00:00Z'), { ...context(true), heartbeat: 'unreadable' }),
      'expired',
    );
  });

  it('a paused lock stands on its own; a heartbeat is named for its run, as a Lease name may be', () => {
    assert.deepEqual(pausedAnnotations('2'), {
      'regatta.io/lock-heartbeat-in': null,
      'regatta.io/paused-before': '2',
    });
    assert.equal(heartbeatName('20261125T143001Z-3fa2-g0a1b'), 'regatta-run.20261125t143001z-3fa2-g0a1b');
    assert.match(heartbeatName('Odd_ID:1'), /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });
});

describe('flags and errors', () => {
  it('durations and counts are checked with the flag named', () => {
    assert.equal(parseDuration('--timeout', '300'), 300);
    assert.equal(parseDuration('--timeout', '5m'), 300);
    assert.equal(parseDuration('--timeout', '1m30s'), 90);
    assert.equal(parseDuration('--wait-for-lock', '0', { allowZero: true }), 0);
    for (const bad of ['abc', '0', '-2', '5x', '1.5m', ''])
      assert.throws(
        () => parseDuration('--rollback-timeout', bad),
        (e: unknown) => e instanceof UserError && e.message.startsWith(`--rollback-timeout ${bad}`),
      );
    assert.equal(parsePositiveInteger('--concurrency', '4'), 4);
    for (const bad of ['0', 'abc', '-2', '1.5'])
      assert.throws(() => parsePositiveInteger('--concurrency', bad), UserError);
  });
  it('retryTransient: every try for quick transient failures; none past the time budget', async () => {
    const timedOut = () => Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' });
    let tries = 0;
    await assert.rejects(
      retryTransient(
        async () => {
          tries++;
          throw timedOut();
        },
        { attempts: 3, firstDelayMs: 1 },
      ),
      /ETIMEDOUT/,
    );
    assert.equal(tries, 3);
    tries = 0;
    // A budget already spent (as after one request that waited its whole timeout): no second try.
    await assert.rejects(
      retryTransient(
        async () => {
          tries++;
          throw timedOut();
        },
        { attempts: 3, firstDelayMs: 1, budgetMs: 0 },
      ),
      /ETIMEDOUT/,
    );
    assert.equal(tries, 1);
  });

  it('retryTransient gives up at once on what giveUpOn names, and still retries the rest', async () => {
    const errors = [
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new DOMException('no answer within 10000 ms', 'TimeoutError'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    ];
    let tries = 0;
    await assert.rejects(
      retryTransient(
        async () => {
          throw errors[tries++];
        },
        { attempts: 5, firstDelayMs: 1, giveUpOn: isNoAnswer },
      ),
      /no answer within 10000 ms/,
    );
    assert.equal(tries, 2, 'the reset was tried again, the silence was not');
  });

  it('transient: resets, refusals, 5xx and 429 — not what a user caused', () => {
    assert.equal(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
    assert.equal(
      isTransient(
        new Error('Kubernetes cluster unreachable: dial tcp 127.0.0.1:6443: connect: connection refused'),
      ),
      true,
    );
    assert.equal(
      isTransient(new Error('UPGRADE FAILED: template: web/templates/x.yaml:3: function "nope" not defined')),
      false,
    );
  });

  it('no answer: a request our timeout aborted, a TLS handshake timeout — not a refusal or a reset, which are answers', () => {
    const aborted = Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' });
    assert.equal(isNoAnswer(aborted), true);
    assert.equal(isNoAnswer(new DOMException('no answer within 30000 ms', 'TimeoutError')), true);
    assert.equal(
      isNoAnswer(
        new Error(
          'kubernetes cluster unreachable: Get "https://127.0.0.1:38435/version": net/http: TLS handshake timeout',
        ),
      ),
      true,
    );
    assert.equal(isNoAnswer(new Error('rollback failed', { cause: aborted })), true);
    assert.equal(isNoAnswer(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), false);
    assert.equal(isNoAnswer(new Error('dial tcp 127.0.0.1:6443: connect: connection refused')), false);
    assert.equal(isNoAnswer(new Error('not ready within 20s (1/2 updated)')), false);
    // A cluster that refused every try is unreachable, not silent: reach says so, with the cause.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    assert.equal(
      isNoAnswer(new Error('asia does not answer (connect ECONNREFUSED 127.0.0.1:6443)', { cause: refused })),
      false,
    );
    assert.equal(
      isNoAnswer(new Error('asia does not answer (no answer within 10s)', { cause: aborted })),
      true,
    );
    // A helm stopped for saying nothing longer than its own timeouts, as the helm adapter says it.
    assert.equal(isNoAnswer(new HelmError('upgrade', silentHelmMessage(330_000, 300))), true);
  });
});

describe('the labels of a revision', () => {
  it('an upgrade drops the verdict and emergency mark helm would carry over from the revision before', () => {
    assert.deepEqual(revisionLabels({ deployId: 'd2', chartDigest: 'c', firstInstall: false }), {
      'regatta.io/verdict': 'null',
      'regatta.io/emergency': 'null',
      'regatta.io/deploy-id': 'd2',
      'regatta.io/chart-digest': 'c',
    });
    assert.deepEqual(
      revisionLabels({ deployId: 'd1', chartDigest: 'c', emergency: 'skip-gates', firstInstall: true }),
      {
        'regatta.io/emergency': 'skip-gates',
        'regatta.io/deploy-id': 'd1',
        'regatta.io/chart-digest': 'c',
      },
    );
  });
});
