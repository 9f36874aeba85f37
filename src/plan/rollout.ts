import type { WorkloadObservation } from '../model/workload.js';

export type RolloutState =
  { state: 'done' } | { state: 'progressing'; detail: string } | { state: 'failed'; reason: string };

const progressing = (detail: string): RolloutState => ({ state: 'progressing', detail });

/**
 * Pure: whether a workload's rollout is complete, still going, or has failed — read so that a
 * condition left over from an earlier rollout never decides this one.
 *
 * The deployment controller (pkg/controller/deployment/sync.go, syncRolloutStatus) keeps a
 * `Progressing=False, reason ProgressDeadlineExceeded` condition until it sees progress: when a
 * Deployment goes back to an older, existing ReplicaSet (a rollback), getNewReplicaSet does not
 * reset the condition (it does only for a newly created ReplicaSet), and a sync that sees no
 * progress yet (util.DeploymentTimedOut returns true for a condition already timed out) writes
 * the new observedGeneration next to the old condition. kstatus — Helm 4's watcher, and
 * `kubectl rollout status` alike — reads that as Failed at once, although the old ReplicaSet is
 * coming back. So a timed-out condition counts only if the controller wrote it after our change:
 * its lastUpdateTime differs from the one seen before (the `before` observation).
 */
export function rolloutState(now: WorkloadObservation, before?: WorkloadObservation): RolloutState {
  if (!now.exists) return progressing('not created yet');
  if (now.observedGeneration < now.generation) return progressing('waiting for its controller');
  if (now.kind === 'Deployment') {
    const deadline = now.conditions.find(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
    );
    const stale =
      deadline &&
      before?.conditions.some(
        (c) =>
          c.type === 'Progressing' &&
          c.reason === 'ProgressDeadlineExceeded' &&
          c.lastUpdateTime === deadline.lastUpdateTime,
      );
    if (deadline && !stale)
      return { state: 'failed', reason: deadline.message ?? 'progress deadline exceeded' };
  }
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
