import type { LeaseRecord } from '../adapters/kube-lease.js';

/** Who holds a release's fleet lock: what the loser is told. */
export interface LockHolder {
  id: string;
  command: string;
  user: string;
  host: string;
  pid: number;
  /** The holder process's start time (clock ticks since boot): a pid alone may be reused. */
  pidStart?: number;
  since: string;
}

/** The Lease that is a release's lock, in the release's namespace of each of its clusters. */
export const leaseName = (release: string) => `regatta-lock.${release}`;

/**
 * The Lease that says a run is alive, one per run and cluster: the run's release locks in that
 * cluster point at it and are not renewed themselves. Renewing one lease per release × cluster
 * made the renewals grow as releases × wall time, which itself grows with releases; one per
 * cluster grows with wall time only. (A Lease name is a DNS subdomain: lower case.)
 */
export const heartbeatName = (holderId: string) =>
  `regatta-run.${holderId.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`;
/** On a release lock: the namespace of its run's heartbeat in the same cluster. */
export const HEARTBEAT_IN = 'regatta.io/lock-heartbeat-in';

const PREFIX = 'regatta.io/lock-';
/** A deploy paused at a manual approval keeps its lock: `deploy --resume` or `abort` ends it. */
export const PAUSED_BEFORE = 'regatta.io/paused-before';
/** How long a paused deploy keeps its lock without a word from anyone. */
export const PAUSED_LEASE_SECONDS = 7 * 24 * 3600;

export function holderAnnotations(holder: LockHolder): Record<string, string> {
  return {
    [`${PREFIX}command`]: holder.command,
    [`${PREFIX}user`]: holder.user,
    [`${PREFIX}host`]: holder.host,
    [`${PREFIX}pid`]: String(holder.pid),
    ...(holder.pidStart === undefined ? {} : { [`${PREFIX}pid-start`]: String(holder.pidStart) }),
    [`${PREFIX}since`]: holder.since,
  };
}

export function holderOf(lease: LeaseRecord): LockHolder {
  const a = lease.annotations;
  return {
    id: lease.holder ?? '',
    command: a[`${PREFIX}command`] ?? '?',
    user: a[`${PREFIX}user`] ?? '?',
    host: a[`${PREFIX}host`] ?? '?',
    pid: Number(a[`${PREFIX}pid`] ?? 0),
    pidStart: a[`${PREFIX}pid-start`] === undefined ? undefined : Number(a[`${PREFIX}pid-start`]),
    since: a[`${PREFIX}since`] ?? '?',
  };
}

export type LeaseState = 'free' | 'mine' | 'held' | 'expired' | 'holder-dead';

/** What a lock kept for a pause has merged in: on its own (no heartbeat), marked with the wave. */
export function pausedAnnotations(beforeWave: string): Record<string, string | null> {
  return { [HEARTBEAT_IN]: null, [PAUSED_BEFORE]: beforeWave };
}

/**
 * The record whose renewal says whether a lock is alive: the lock itself, or the heartbeat it
 * names. Undefined: that heartbeat is gone or another run's. 'unknown': this user may not read it
 * (another team's namespace), so it may be alive.
 */
function livenessOf(
  lease: LeaseRecord,
  heartbeat: LeaseRecord | 'unreadable' | undefined,
): LeaseRecord | 'unknown' | undefined {
  if (lease.annotations[HEARTBEAT_IN] === undefined) return lease;
  if (heartbeat === 'unreadable') return 'unknown';
  return heartbeat?.holder === lease.holder ? heartbeat : undefined;
}

/**
 * Pure: whether a lease may be taken. A holder that stopped renewing lets it expire — the lease
 * itself, or, when it names one (`HEARTBEAT_IN`), its run's heartbeat: `heartbeat` is that one as
 * read (undefined: gone, so the run ended or was taken over; 'unreadable': this user may not read
 * it, so only a dead process on this machine frees the lock). A holder on this very machine whose
 * process is gone is known dead at once (no need to wait for expiry).
 */
export function leaseState(
  lease: LeaseRecord | undefined,
  context: {
    me: string;
    host: string;
    now: Date;
    processAlive: (pid: number, start?: number) => boolean;
    heartbeat?: LeaseRecord | 'unreadable';
  },
): LeaseState {
  if (!lease || !lease.holder) return 'free';
  if (lease.holder === context.me) return 'mine';
  const alive = livenessOf(lease, context.heartbeat);
  const lapsed = (record: LeaseRecord) =>
    (record.renewTime?.getTime() ?? 0) + (record.durationSeconds ?? 0) * 1000 < context.now.getTime();
  if (alive === undefined || (alive !== 'unknown' && lapsed(alive))) return 'expired';
  // Paused: nobody runs, on purpose; it waits for its resume or abort, from any machine.
  if (lease.annotations[PAUSED_BEFORE]) return 'held';
  const holder = holderOf(lease);
  if (holder.host === context.host && holder.pid > 0 && !context.processAlive(holder.pid, holder.pidStart))
    return 'holder-dead';
  return 'held';
}

export function describeHolder(holder: LockHolder, pausedBefore?: string): string {
  const paused = pausedBefore
    ? `, paused before wave ${pausedBefore} (regatta deploy --resume ${holder.id}, or regatta abort ${holder.id})`
    : '';
  return `${holder.command} ${holder.id} by ${holder.user}@${holder.host} (pid ${holder.pid}) since ${holder.since}${paused}`;
}
