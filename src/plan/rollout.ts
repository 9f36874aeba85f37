import type { WorkloadObservation } from '../model/workload.js';

export type RolloutState =
  { state: 'done' } | { state: 'progressing'; detail: string } | { state: 'failed'; reason: string };

const progressing = (detail: string) => ({ state: 'progressing', detail }) as const;

/**
 * Pure: whether a workload's rollout is complete, still going, or has failed — read so that a
 * progress clock that ran before our change never decides it.
 *
 * The deployment controller (pkg/controller/deployment/progress.go, syncRolloutStatus) writes
 * `Progressing=False, reason ProgressDeadlineExceeded` once it has seen no progress for
 * progressDeadlineSeconds since the condition's lastUpdateTime, and keeps it until it sees
 * progress. Its clock restarts only when a rollout creates a new ReplicaSet. So when a change
 * brings back an existing ReplicaSet (a rollback), or re-applies the template already in place
 * (a rerun after a failure), the clock is the old rollout's: the condition may still be there
 * (util.DeploymentTimedOut returns true for a condition already timed out, next to the new
 * observedGeneration), or be written moments after our change — by a controller that restarts
 * with its API server and finds a rollout it last saw minutes ago. kstatus (Helm 4's watcher,
 * `kubectl rollout status`) reads all of these as Failed, although the ReplicaSet is coming
 * back. Given the time since our change began, the condition counts only once the Deployment has
 * had its whole progressDeadlineSeconds since then: what its author allowed any rollout. Without
 * it (a soak, status), the condition is taken as it is.
 */
export function rolloutState(now: WorkloadObservation, elapsedSeconds?: number): RolloutState {
  const counted = countedState(now);
  if (counted.state !== 'progressing' || now.kind !== 'Deployment') return counted;
  const deadline = now.conditions.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (!deadline || now.observedGeneration < now.generation) return counted;
  const allowed = now.progressDeadlineSeconds ?? 600;
  if (elapsedSeconds !== undefined && elapsedSeconds < allowed)
    return progressing(
      `${counted.detail}; its controller reports the progress deadline exceeded on a clock older ` +
        `than this change: giving it its ${allowed}s (${Math.floor(elapsedSeconds)}s so far)`,
    );
  return { state: 'failed', reason: deadline.message ?? 'progress deadline exceeded' };
}

/** Pure: done or progressing, from the replica counts and generations alone. */
function countedState(
  now: WorkloadObservation,
): { state: 'done' } | { state: 'progressing'; detail: string } {
  if (!now.exists) return progressing('not created yet');
  if (now.observedGeneration < now.generation) return progressing('waiting for its controller');
  if (now.kind === 'StatefulSet' && now.updateRevision && now.currentRevision !== now.updateRevision)
    return progressing(`${now.updated} of ${now.desired} updated`);
  if (now.updated < now.desired) return progressing(`${now.updated} of ${now.desired} updated`);
  if (now.kind === 'Deployment' && now.current > now.updated)
    return progressing(`${now.current - now.updated} old replicas pending termination`);
  if (now.kind === 'StatefulSet' ? now.ready < now.desired : now.available < now.desired)
    return progressing(
      `${now.kind === 'StatefulSet' ? now.ready : now.available} of ${now.desired} available`,
    );
  return { state: 'done' };
}

/**
 * Pure: what a soak objects to in one workload — not Available any more, or a container that
 * restarted since the soak began (a new Pod counts from zero).
 */
export function soakProblem(
  now: WorkloadObservation,
  restartsBefore: ReadonlyMap<string, number>,
  restartsNow: ReadonlyMap<string, number>,
): string | undefined {
  const state = rolloutState(now);
  if (state.state === 'failed') return `${now.kind}/${now.name}: ${state.reason}`;
  if (now.kind !== 'DaemonSet' && now.available < now.desired)
    return `${now.kind}/${now.name}: ${now.available} of ${now.desired} available`;
  for (const [pod, restarts] of restartsNow) {
    const before = restartsBefore.get(pod) ?? 0;
    if (restarts > before)
      return `${now.kind}/${now.name}: a container of Pod ${pod} restarted (${restarts - before}×)`;
  }
  return undefined;
}
