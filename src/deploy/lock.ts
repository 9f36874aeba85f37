import { EventEmitter } from 'node:events';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLease,
  deleteLease,
  readLease,
  readLeaseIfAllowed,
  renewLease,
  replaceLease,
  type LeaseClaim,
  type LeaseRecord,
} from '../adapters/kube-lease.js';
import { apiRefusal, REQUEST_TIMEOUT_MS } from '../adapters/kube.js';
import { mapBoundedPerGroup } from '../concurrency.js';
import { isRunning, readStartTicks } from '../adapters/process.js';
import { isNoAnswer, isTransient, retryTransient } from '../adapters/transient.js';
import { DeployError, RegattaError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import type { Progress } from '../report/progress.js';
import {
  describeHolder,
  HEARTBEAT_IN,
  heartbeatName,
  holderAnnotations,
  holderOf,
  leaseName,
  leaseState,
  PAUSED_BEFORE,
  PAUSED_LEASE_SECONDS,
  pausedAnnotations,
  type LockHolder,
} from '../plan/lease.js';
import { kubeTarget } from './clusters.js';
import { Namespaces } from './namespaces.js';

/** Another deploy or rollback of the release holds its lock: exit 4. */
export class LockHeldError extends RegattaError {
  readonly exitCode = 4;
}

/**
 * Where a run hears that a cluster stopped answering (the fleet lock's heartbeat sees it):
 * `silent` with the cluster's name and a sentence saying so.
 */
export type ClusterSilence = EventEmitter<{ silent: [cluster: string, why: string] }>;

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
 * Leases taken at once per cluster. A deploy holds one per release × cluster, hundreds at scale,
 * and asking for all of them at once opened as many connections. (Letting go is not
 * bounded: a cluster that stopped answering must cost one timeout, not one per lease.)
 */
const LEASES_AT_ONCE_PER_CLUSTER = 16;

/** A lease this run wrote: a release's lock, or the run's heartbeat in a cluster. */
interface HeldLease {
  cluster: Cluster;
  /** What it is, for messages: `release.namespace@cluster`, or the heartbeat's name and cluster. */
  what: string;
  claim: LeaseClaim;
  lease: LeaseRecord;
}

const retry = <T>(fn: () => Promise<T>) => retryTransient(fn, { attempts: 3 });

/**
 * The fleet-wide lock of a set of releases: a coordination.k8s.io Lease per release in each of
 * its clusters, held by one deploy or rollback at a time. Taken in a fixed order — the first lease
 * alone, then the rest — so of two runs started together exactly one gets past the first, and the
 * other is told who holds it. While the run goes on, it renews one heartbeat Lease per cluster,
 * which its locks there name (`HEARTBEAT_IN`): a lock is as alive as its heartbeat, so the
 * renewals do not grow with the number of releases.
 */
export class FleetLock {
  /** Release locks, by `keyText`. */
  private readonly held = new Map<string, HeldLease>();
  /** Per cluster: its heartbeat, made before the first lock there that names it. */
  private readonly heartbeats = new Map<string, Promise<HeldLease>>();
  /** The heartbeats made: what is renewed and let go. */
  private readonly beating: HeldLease[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Clusters whose heartbeat is being renewed now. */
  private readonly renewing = new Set<string>();
  private readonly lostController = new AbortController();
  /** Emits `silent` (cluster, why) for each renewal of a heartbeat that got no answer at all. */
  readonly silence: ClusterSilence = new EventEmitter();
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

  private get durationSeconds() {
    return this.options.durationSeconds ?? 60;
  }

  /** When this run id had paused (and now resumes): the wave it paused before. */
  get pausedBefore(): string | undefined {
    return this.resumedBefore;
  }

  /** Aborted if a renewal finds the heartbeat taken over or gone: the run must stop. */
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
    lock.timer = setInterval(() => void lock.renew(), (lock.durationSeconds * 1000) / 3);
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

  private claim(key: LockKey, heartbeatIn: string): LeaseClaim {
    return {
      name: leaseName(key.release),
      namespace: key.namespace,
      holder: this.holder.id,
      durationSeconds: this.durationSeconds,
      annotations: { ...holderAnnotations(this.holder), [HEARTBEAT_IN]: heartbeatIn },
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

  /**
   * Creates a lease in the key's namespace; 'exists' if it does. The lease lives in the release's
   * namespace (where deploying needs rights anyway). Asked for first, a namespace that exists
   * costs no look; a missing one is made once per run.
   */
  private async create(key: LockKey, claim: LeaseClaim): Promise<LeaseRecord | 'exists'> {
    const target = kubeTarget(key.cluster);
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
    return created;
  }

  /** This run's heartbeat in the key's cluster, made (in the key's namespace) by the first to ask. */
  private heartbeatFor(key: LockKey): Promise<HeldLease> {
    let heartbeat = this.heartbeats.get(key.cluster.name);
    if (!heartbeat) {
      heartbeat = this.startHeartbeat(key);
      this.heartbeats.set(key.cluster.name, heartbeat);
    }
    return heartbeat;
  }

  private async startHeartbeat(key: LockKey): Promise<HeldLease> {
    const claim: LeaseClaim = {
      name: heartbeatName(this.holder.id),
      namespace: key.namespace,
      holder: this.holder.id,
      durationSeconds: this.durationSeconds,
      annotations: holderAnnotations(this.holder),
      role: 'heartbeat',
    };
    const what = `${claim.namespace}/${claim.name}@${key.cluster.name}`;
    const target = kubeTarget(key.cluster);
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.create(key, claim);
      let lease: LeaseRecord | undefined;
      if (created !== 'exists') lease = created;
      else {
        // This run id's own (its name is the id): left by a pause of it, or by a run of it whose
        // process died. Written over.
        const existing = await retry(() => readLease(target, claim.namespace, claim.name));
        lease = existing && (await retry(() => replaceLease(target, claim, existing.resourceVersion!)));
      }
      if (lease) {
        const heartbeat = { cluster: key.cluster, what, claim, lease };
        this.beating.push(heartbeat);
        return heartbeat;
      }
    }
    throw new DeployError(`${what}: this run's heartbeat lease keeps changing as it is written`, {
      hint: `nothing was changed; is another run with id ${this.holder.id} going on? If not, run it again`,
    });
  }

  /** Takes one lease; returns its holder if it is someone else's. */
  private async take(key: LockKey): Promise<{ holder: LockHolder; pausedBefore?: string } | undefined> {
    const target = kubeTarget(key.cluster);
    const claim = this.claim(key, (await this.heartbeatFor(key)).claim.namespace);
    const held = (lease: LeaseRecord) =>
      this.held.set(keyText(key), { cluster: key.cluster, what: keyText(key), claim, lease });
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.create(key, claim);
      if (created !== 'exists') {
        held(created);
        return undefined;
      }
      const existing = await retry(() => readLease(target, claim.namespace, claim.name));
      const heartbeatIn = existing?.annotations[HEARTBEAT_IN];
      const read =
        heartbeatIn !== undefined && existing?.holder && existing.holder !== this.holder.id
          ? await retry(() => readLeaseIfAllowed(target, heartbeatIn, heartbeatName(existing.holder!)))
          : undefined;
      const state = leaseState(existing, {
        me: this.holder.id,
        host: this.holder.host,
        now: new Date(),
        processAlive: (pid, start) =>
          start === undefined ? readStartTicks(pid) !== undefined : isRunning({ pid, startTicks: start }),
        heartbeat: read === 'forbidden' ? 'unreadable' : read,
      });
      if (state === 'held')
        return { holder: holderOf(existing!), pausedBefore: existing!.annotations[PAUSED_BEFORE] };
      if (state === 'mine') this.resumedBefore ??= existing!.annotations[PAUSED_BEFORE];
      if (state === 'free' && !existing) continue; // deleted in between: create again
      // A lock naming a heartbeat that is gone: its run let go of it just now, or was taken over
      // (and said so) by whoever deleted the heartbeat. Taken without a word.
      const orphan = heartbeatIn !== undefined && read === undefined;
      if ((state === 'expired' || state === 'holder-dead') && !orphan) {
        // The dead run's heartbeat goes first, if it is still the version judged: a run that
        // renewed it in between is alive after all (look again), and one that renews it later
        // finds it gone and knows it lost its locks.
        const heartbeat = read === 'forbidden' ? undefined : read;
        if (heartbeat && (await retry(() => deleteLease(target, heartbeat))) === 'changed') continue;
        this.options.progress.line(
          `${keyText(key)}: taking over the lock of ${describeHolder(holderOf(existing!))} (${state === 'expired' ? 'expired' : 'its process is gone'})`,
        );
      }
      const taken = await retry(() => replaceLease(target, claim, existing!.resourceVersion!));
      if (taken) {
        held(taken);
        return undefined;
      }
    }
    const now = await readLease(target, claim.namespace, claim.name);
    return { holder: now ? holderOf(now) : { ...this.holder, id: '(changing hands)' } };
  }

  /** Renews each cluster's heartbeat; a slow cluster's renewal still under way is not joined. */
  private async renew(): Promise<void> {
    await Promise.all(
      this.beating.map(async (heartbeat) => {
        if (this.renewing.has(heartbeat.cluster.name)) return;
        this.renewing.add(heartbeat.cluster.name);
        try {
          await this.renewOne(heartbeat);
        } finally {
          this.renewing.delete(heartbeat.cluster.name);
        }
      }),
    );
  }

  private async renewOne(entry: HeldLease): Promise<void> {
    try {
      const target = kubeTarget(entry.cluster);
      const renewed = await renewLease(target, entry.lease);
      if (renewed) entry.lease = renewed;
      else {
        // Deleted (or written) by someone else: a run that found it expired and took the locks
        // naming it. Written by this same id (an `abort` of this run): still this run's.
        const now = await readLease(target, entry.claim.namespace, entry.claim.name);
        if (now?.holder === this.holder.id) entry.lease = now;
        else
          this.lostController.abort(
            new Error(`lost the lock in ${entry.cluster.name}: its heartbeat ${entry.what} was taken over`),
          );
      }
    } catch (error) {
      // A cluster that does not answer cannot give the lease to anyone else either; the next
      // renewal tries again, and the lease outlives a few missed ones. But the run is told: a
      // deploy there cannot end well, and waiting for helm's --timeout only delays the rollback.
      if (isNoAnswer(error))
        this.silence.emit(
          'silent',
          entry.cluster.name,
          `${entry.cluster.name} stopped answering (its heartbeat's renewal got no answer within ${REQUEST_TIMEOUT_MS / 1000}s)`,
        );
    }
  }

  /** Stops renewing and hands over what was held (to delete, or to mark paused). */
  private letGo() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const locks = [...this.held.values()];
    const heartbeats = this.beating.splice(0);
    this.held.clear();
    this.heartbeats.clear();
    return { locks, heartbeats };
  }

  /**
   * Keeps every lock for a paused deploy: on its own (its heartbeat stops), marked with the wave
   * it paused before and a long duration, so the pause survives this machine and nobody else
   * deploys meanwhile.
   */
  async pause(beforeWave: string): Promise<void> {
    const { locks, heartbeats } = this.letGo();
    const kept = await Promise.allSettled(
      locks.map((entry) =>
        retryTransient(() =>
          renewLease(kubeTarget(entry.cluster), entry.lease, {
            durationSeconds: PAUSED_LEASE_SECONDS,
            annotations: pausedAnnotations(beforeWave),
          }),
        ),
      ),
    );
    await this.deleteAll(heartbeats);
    const failed = kept.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Lets every lease go (best effort: one that cannot be deleted expires), each cluster on its
   * own: one that stopped answering costs one 10 s try, not every lease's tries one after another.
   * In `silent` clusters (found not answering just before) nothing is tried: their leases expire.
   */
  async release(silent: readonly string[] = []): Promise<void> {
    const { locks, heartbeats } = this.letGo();
    const clusters = new Set([...locks, ...heartbeats].map((entry) => entry.cluster.name));
    const inCluster = (cluster: string) => (entry: HeldLease) => entry.cluster.name === cluster;
    await Promise.all(
      [...clusters].map(async (cluster) => {
        if (silent.includes(cluster)) {
          for (const entry of [...locks, ...heartbeats].filter(inCluster(cluster)))
            this.expiresOnItsOwn(entry);
          return;
        }
        // The locks first: none is left naming a heartbeat that is gone while it is still held.
        const unreachable = await this.deleteAll(locks.filter(inCluster(cluster)));
        const itsHeartbeats = heartbeats.filter(inCluster(cluster));
        if (!unreachable) await this.deleteAll(itsHeartbeats);
        else for (const entry of itsHeartbeats) this.expiresOnItsOwn(entry);
      }),
    );
  }

  /**
   * Deletes these leases; true if one failed on a network or server error (it stays, and expires):
   * its cluster's heartbeat is then not tried, which would fail the same way.
   */
  private async deleteAll(entries: readonly HeldLease[]): Promise<boolean> {
    let unreachable = false;
    await Promise.all(
      entries.map((entry) =>
        // 10 s a try, not 30, and no second try after a silent one: a lease left behind only
        // delays the next deploy until it expires.
        retryTransient(() => deleteLease(releaseTarget(entry.cluster), entry.lease), {
          attempts: 2,
          budgetMs: 10_000,
        }).catch((error: unknown) => {
          unreachable ||= isTransient(error);
          this.expiresOnItsOwn(entry);
        }),
      ),
    );
    return unreachable;
  }

  private expiresOnItsOwn(entry: HeldLease): void {
    this.options.progress.line(`${entry.what}: could not release the lock; it expires on its own`);
  }
}
