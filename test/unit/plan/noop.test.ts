import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { recordVersions } from '../../../src/adapters/helm-storage.js';
import type { Plan } from '../../../src/model/plan.js';
import { leasesInTheWay, mayGoWithoutLock, sameRecords } from '../../../src/plan/noop.js';
import { knownUnchanged, type LiveRevision } from '../../../src/plan/plan.js';
import type { PlannedWave } from '../../../src/plan/waves.js';
import { entry } from '../deploy/support.js';

const unchanged: Plan = { entries: [entry('eu', 'unchanged', 3), entry('us', 'unchanged', 7)] };
const wave = (extra: Partial<PlannedWave> = {}): PlannedWave => ({
  name: 'all',
  clusters: ['eu', 'us'],
  entries: unchanged.entries,
  soakSeconds: 0,
  checks: [],
  helmTests: [],
  approval: false,
  ...extra,
});

describe('a deploy that changes nothing, without its lock', () => {
  it('may go without it when every target is unchanged and no wave has a gate', () => {
    assert.equal(mayGoWithoutLock(unchanged, [wave()]), true);
  });

  it('takes it when any target would be installed or upgraded', () => {
    for (const action of ['install', 'upgrade'] as const) {
      const plan = { entries: [...unchanged.entries, entry('asia', action)] };
      assert.equal(mayGoWithoutLock(plan, [wave({ entries: plan.entries })]), false, action);
    }
    assert.equal(mayGoWithoutLock({ entries: [] }, []), false);
  });

  it('takes it when a wave soaks, checks, runs helm test or waits for an approval (they run even then)', () => {
    const first = unchanged.entries[0]!;
    const gated: Partial<PlannedWave>[] = [
      { soakSeconds: 30 },
      { checks: [{ entry: first, check: { run: './smoke.sh', timeoutSeconds: 60 } }] },
      { helmTests: [first] },
      { approval: true },
    ];
    for (const gate of gated)
      assert.equal(mayGoWithoutLock(unchanged, [wave(), wave(gate)]), false, JSON.stringify(gate));
  });

  it('takes it when resuming a paused deploy (its paused lock is taken back)', () => {
    assert.equal(mayGoWithoutLock(unchanged, [wave()], '20261125T150339Z-361c'), false);
  });

  it('never counts a revision of a deploy in flight, failed, rolled back or killed as unchanged', () => {
    const target = unchanged.entries[0]!.target;
    const values = { image: 'web:1' };
    const live: LiveRevision = {
      revision: 3,
      status: 'deployed',
      verdict: 'good',
      deployId: 'd1',
      chartVersion: target.chartVersion,
      chartDigest: target.chartDigest,
      manifest: '',
      config: values,
    };
    assert.equal(knownUnchanged(target, values, live), true);
    const notYet: Partial<LiveRevision>[] = [
      { verdict: 'undecided' }, // its deploy still runs (or was killed before its verdict)
      { verdict: 'failed' },
      { status: 'pending-upgrade' },
      { status: 'failed' },
      { chartDigest: undefined }, // made by helm or another tool
    ];
    for (const change of notYet)
      assert.equal(knownUnchanged(target, values, { ...live, ...change }), false, JSON.stringify(change));
  });
});

describe('the second look', () => {
  const record = (name: string, resourceVersion: string): V1Secret => ({
    metadata: { name, namespace: 'web', resourceVersion },
  });
  const first = recordVersions([
    record('sh.helm.release.v1.web.v2', '41'),
    record('sh.helm.release.v1.web.v1', '7'),
  ]);

  it('identifies records by name and resourceVersion, in any order', () => {
    assert.deepEqual(first, ['web/sh.helm.release.v1.web.v1@7', 'web/sh.helm.release.v1.web.v2@41']);
    const again = recordVersions([
      record('sh.helm.release.v1.web.v1', '7'),
      record('sh.helm.release.v1.web.v2', '41'),
    ]);
    assert.equal(sameRecords(first, again), true);
  });

  it('sees a new revision, a record written (a verdict, a pending one marked failed) or one gone', () => {
    const changes = [
      [
        record('sh.helm.release.v1.web.v1', '7'),
        record('sh.helm.release.v1.web.v2', '41'),
        record('sh.helm.release.v1.web.v3', '52'),
      ],
      [record('sh.helm.release.v1.web.v1', '7'), record('sh.helm.release.v1.web.v2', '53')],
      [record('sh.helm.release.v1.web.v2', '41')],
    ];
    for (const records of changes) assert.equal(sameRecords(first, recordVersions(records)), false);
  });

  it('finds the lock of any of the releases, whoever holds it, and ignores other leases', () => {
    const leases = [{ name: 'regatta-lock.web' }, { name: 'regatta-lock.api' }, { name: 'kube-scheduler' }];
    assert.deepEqual(leasesInTheWay(leases, ['web', 'worker']), [{ name: 'regatta-lock.web' }]);
    assert.deepEqual(leasesInTheWay(leases, ['worker']), []);
  });
});
