import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLease,
  deleteLease,
  readLease,
  replaceLease,
  type LeaseClaim,
  type LeaseRecord,
} from '../adapters/kube-lease.js';
import { apiRefusal } from '../adapters/kube.js';
import { mapBounded, mapBoundedPerGroup } from '../concurrency.js';
import { isRunning, readStartTicks } from '../adapters/process.js';
import { retryTransient } from '../adapters/transient.js';
import { DeployError, RegattaError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import type { Progress } from '../report/progress.js';
import {
  describeHolder,
  holderAnnotations,
  holderOf,
  leaseName,
  leaseState,
  PAUSED_BEFORE,
  PAUSED_LEASE_SECONDS,
  type LockHolder,
} from '../plan/lease.js';
import { kubeTarget } from './clusters.js';
import { Namespaces } from './namespaces.js';

/** Another deploy or rollback of the release holds its lock: exit 4. */
export class LockHeldError extends RegattaError {
  readonly exitCode = 4;
}

/** One release in one cluster: what a lock is taken on. */
export interface LockKey {
  cluster: Cluster;
  release: string;
  namespace: string;
}

export interface LockOptions {
  /** The deploy id (or rollback id) that will hold the lock. */
  id: string;
  command: 'deploy' | 'rollback' | 'recover';
  /** How long to keep trying while another run holds it (0: refuse at once). */
  waitMs: number;
  progress: Progress;
  /** Lease duration: a holder that dies stops renewing, and the lease is free after this long. */
  durationSeconds?: number;
  /** Where the leases' namespaces are made sure of; the run's installs then find them made. */
  namespaces?: Namespaces;
}

const keyText = (key: LockKey) => `${key.release}.${key.namespace}@${key.cluster.name}`;
const releaseTarget = (cluster: LockKey['cluster']) => ({ ...kubeTarget(cluster), timeoutMs: 10_000 });
/**
 * Leases taken or renewed at once per cluster. A deploy holds one per release × cluster, hundreds
 * at scale, and asking for all of them at once opened as many connections. (Letting go is not
 * bounded: a cluster that stopped answering must cost one timeout, not one per lease.)
 */
const LEASES_AT_ONCE_PER_CLUSTER = 16;

interface HeldLease {
  key: LockKey;
  claim: LeaseClaim;
  lease: LeaseRecord;
}

/**
 * The fleet-wide lock of a set of releases: a coordination.k8s.io Lease per release in each of
 * its clusters, held by one deploy or rollback at a time, renewed while it runs. Taken in a fixed
 * order — the first lease alone, then the rest — so of two runs started together exactly one
 * gets past the first, and the other is told who holds it.
 */
export class FleetLock {
  private readonly held = new Map<string, HeldLease>();
  private timer: NodeJS.Timeout | undefined;
  /** Clusters whose leases are being renewed now. */
  private readonly renewing = new Set<string>();
  private readonly lostController = new AbortController();
  /** Taken back from a pause of this same run id: the wave it paused before. */
  private resumedBefore: string | undefined;

  /** The leases' namespaces: the run's own, shared with its installs, when it passes them. */
  private readonly namespaces: Namespaces;

  private constructor(
    private readonly holder: LockHolder,
    private readonly options: LockOptions,
  ) {
    this.namespaces = options.namespaces ?? new Namespaces();
  }

  /** When this run id had paused (and now resumes): the wave it paused before. */
  get pausedBefore(): string | undefined {
    return this.resumedBefore;
  }

  /** Aborted if a renewal finds the lease taken by someone else: the run must stop. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  static async acquire(keys: readonly LockKey[], options: LockOptions): Promise<FleetLock> {
    const holder: LockHolder = {
      id: options.id,
      command: options.command,
      user: userInfo().username,
      host: hostname(),
      pid: process.pid,
      pidStart: readStartTicks(process.pid),
      since: new Date().toISOString(),
    };
    const lock = new FleetLock(holder, options);
    const ordered = [...keys].sort((a, b) => keyText(a).localeCompare(keyText(b)));
    const deadline = Date.now() + options.waitMs;
    let announced = false;
    for (;;) {
      let refused: Awaited<ReturnType<FleetLock['tryAll']>>;
      try {
        refused = await lock.tryAll(ordered);
      } catch (error) {
        await lock.release(); // what it took before the error: no lease left to expire
        throw error;
      }
      if (!refused) break;
      await lock.release();
      if (Date.now() >= deadline) {
        throw new LockHeldError(
          `${refused.key} is locked by ${describeHolder(refused.holder, refused.pausedBefore)}`,
          {
            hint: 'wait for it to finish, or pass --wait-for-lock DURATION',
          },
        );
      }
      if (!announced)
        options.progress.line(
          `waiting for the lock: ${refused.key} is held by ${describeHolder(refused.holder, refused.pausedBefore)}`,
        );
      announced = true;
      await sleep(500 + Math.random() * 1500);
    }
    lock.timer = setInterval(() => void lock.renew(), ((options.durationSeconds ?? 60) * 1000) / 3);
    lock.timer.unref();
    return lock;
  }

  /** Takes every lease, first one alone; returns the first one someone else holds. */
  private async tryAll(
    ordered: readonly LockKey[],
  ): Promise<{ key: string; holder: LockHolder; pausedBefore?: string } | undefined> {
    const [first, ...rest] = ordered;
    if (!first) return undefined;
    const firstRefusal = await this.takeOrExplain(first);
    if (firstRefusal) return { key: keyText(first), ...firstRefusal };
    // Every take settles before an error is thrown, so the caller lets go of all it took.
    const refusals = await mapBoundedPerGroup(
      rest,
      (key) => key.cluster.name,
      LEASES_AT_ONCE_PER_CLUSTER,
      async (key) => {
        try {
          return { key, refusal: await this.takeOrExplain(key) };
        } catch (error) {
          return { key, error };
        }
      },
    );
    const failed = refusals.find((r) => 'error' in r);
    if (failed && 'error' in failed) throw failed.error;
    const refused = refusals.find((r) => r.refusal);
    return refused && { key: keyText(refused.key), ...refused.refusal! };
  }

  private claim(key: LockKey): LeaseClaim {
    return {
      name: leaseName(key.release),
      namespace: key.namespace,
      holder: this.holder.id,
      durationSeconds: this.options.durationSeconds ?? 60,
      annotations: holderAnnotations(this.holder),
    };
  }

  /** `take`, with the API server's refusal (forbidden, a namespace being deleted…) as one line. */
  private async takeOrExplain(key: LockKey): ReturnType<FleetLock['take']> {
    try {
      return await this.take(key);
    } catch (error) {
      const why = apiRefusal(error);
      if (why === undefined) throw error;
      throw new DeployError(`${keyText(key)}: cannot take the lock: ${why}`, {
        hint: "no release was changed; the lock is a Lease in the release's namespace: check that namespace and your rights on leases in it",
      });
    }
  }

  /** Takes one lease; returns its holder if it is someone else's. */
  private async take(key: LockKey): Promise<{ holder: LockHolder; pausedBefore?: string } | undefined> {
    const target = kubeTarget(key.cluster);
    const claim = this.claim(key);
    const retry = <T>(fn: () => Promise<T>) => retryTransient(fn, { attempts: 3 });
    for (let attempt = 0; attempt < 3; attempt++) {
      // The lease lives in the release's namespace (where deploying needs rights anyway). Asked
      // for first, a namespace that exists costs no look; a missing one is made once per run.
      let created = await retry(() => createLease(target, claim));
      if (created !== 'no-namespace') this.namespaces.exists(key.cluster, key.namespace);
      for (let made = 0; created === 'no-namespace' && made < 2; made++) {
        // A second time: this run had made or seen it (an earlier round of --wait-for-lock), and
        // it was deleted since.
        if (made > 0) this.namespaces.forget(key.cluster, key.namespace);
        await this.namespaces.ensure(key.cluster, key.namespace, { missing: true });
        created = await retry(() => createLease(target, claim));
      }
      if (created === 'no-namespace')
        throw new DeployError(`${keyText(key)}: namespace ${key.namespace} was deleted as it was made`, {
          hint: 'nothing was changed; run it again',
        });
      if (created !== 'exists') {
        this.held.set(keyText(key), { key, claim, lease: created });
        return undefined;
      }
      const existing = await retry(() => readLease(target, claim.namespace, claim.name));
      const state = leaseState(existing, {
        me: this.holder.id,
        host: this.holder.host,
        now: new Date(),
        processAlive: (pid, start) =>
          start === undefined ? readStartTicks(pid) !== undefined : isRunning({ pid, startTicks: start }),
      });
      if (state === 'held')
        return { holder: holderOf(existing!), pausedBefore: existing!.annotations[PAUSED_BEFORE] };
      if (state === 'mine') this.resumedBefore ??= existing!.annotations[PAUSED_BEFORE];
      if (state === 'free' && !existing) continue; // deleted in between: create again
      if (state === 'expired' || state === 'holder-dead')
        this.options.progress.line(
          `${keyText(key)}: taking over the lock of ${describeHolder(holderOf(existing!))} (${state === 'expired' ? 'expired' : 'its process is gone'})`,
        );
      const taken = await retry(() => replaceLease(target, claim, existing!.resourceVersion!));
      if (taken) {
        this.held.set(keyText(key), { key, claim, lease: taken });
        return undefined;
      }
    }
    const now = await readLease(target, claim.namespace, claim.name);
    return { holder: now ? holderOf(now) : { ...this.holder, id: '(changing hands)' } };
  }

  private async renew(): Promise<void> {
    const byCluster = new Map<string, HeldLease[]>();
    for (const entry of this.held.values()) {
      const group = byCluster.get(entry.key.cluster.name);
      if (group) group.push(entry);
      else byCluster.set(entry.key.cluster.name, [entry]);
    }
    await Promise.all(
      [...byCluster].map(async ([cluster, entries]) => {
        // A slow cluster's renewal still under way is not joined by another; the others go on.
        if (this.renewing.has(cluster)) return;
        this.renewing.add(cluster);
        try {
          await mapBounded(entries, LEASES_AT_ONCE_PER_CLUSTER, (entry) => this.renewOne(entry));
        } finally {
          this.renewing.delete(cluster);
        }
      }),
    );
  }

  private async renewOne(entry: HeldLease): Promise<void> {
    try {
      const renewed = await replaceLease(
        kubeTarget(entry.key.cluster),
        entry.claim,
        entry.lease.resourceVersion!,
      );
      if (renewed) entry.lease = renewed;
      else {
        const now = await readLease(kubeTarget(entry.key.cluster), entry.claim.namespace, entry.claim.name);
        if (now?.holder === this.holder.id) entry.lease = now;
        else this.lostController.abort(new Error(`lost the lock of ${keyText(entry.key)}`));
      }
    } catch {
      // A cluster that does not answer cannot give the lease to anyone else either; the next
      // renewal tries again, and the lease outlives a few missed ones.
    }
  }

  /** Stops renewing and hands over what was held (to delete, or to mark paused). */
  private letGo() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const entries = [...this.held.values()];
    this.held.clear();
    return entries;
  }

  /**
   * Keeps every lease for a paused deploy: renewed no more, marked with the wave it paused before
   * and a long duration, so the pause survives this machine and nobody else deploys meanwhile.
   */
  async pause(beforeWave: string): Promise<void> {
    await Promise.all(
      this.letGo().map((entry) =>
        retryTransient(() =>
          replaceLease(
            kubeTarget(entry.key.cluster),
            {
              ...entry.claim,
              durationSeconds: PAUSED_LEASE_SECONDS,
              annotations: { ...entry.claim.annotations, [PAUSED_BEFORE]: beforeWave },
            },
            entry.lease.resourceVersion!,
          ),
        ),
      ),
    );
  }

  /** Lets every lease go (best effort: one that cannot be deleted expires). */
  async release(): Promise<void> {
    await Promise.all(
      this.letGo().map((entry) =>
        // 10 s a try, not 30: a lease left behind only delays the next deploy until it expires.
        retryTransient(() => deleteLease(releaseTarget(entry.key.cluster), entry.lease), {
          attempts: 2,
        }).catch(() =>
          this.options.progress.line(
            `${keyText(entry.key)}: could not release the lock; it expires on its own`,
          ),
        ),
      ),
    );
  }
}
