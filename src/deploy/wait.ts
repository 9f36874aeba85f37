import { setTimeout as sleep } from 'node:timers/promises';
import { withinMs, type KubeTarget } from '../adapters/kube.js';
import { readWorkload } from '../adapters/kube-workloads.js';
import { isTransient } from '../adapters/transient.js';
import { WORKLOAD_KINDS, type WorkloadKind, type WorkloadObservation } from '../model/workload.js';
import { manifestObjects } from '../plan/manifests.js';
import { rolloutState } from '../plan/rollout.js';

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

/** Pure: the Deployments, StatefulSets and DaemonSets a release manifest holds. */
export function workloadsOf(manifest: string, namespace: string): WorkloadRef[] {
  return manifestObjects(manifest, namespace)
    .filter((object) => (WORKLOAD_KINDS as readonly string[]).includes(object.kind))
    .map((object) => ({
      kind: object.kind as WorkloadKind,
      namespace: object.namespace,
      name: object.name,
    }));
}

export class RolloutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutError';
  }
}

/**
 * Polls every workload until its rollout is done; throws RolloutError when one fails or the time
 * is up. A transient API error (reset, 5xx, 429) is only a missed look: polling goes on until the
 * deadline.
 */
export async function waitForRollouts(
  target: KubeTarget,
  workloads: readonly WorkloadRef[],
  options: {
    /** When our change began (ms since the epoch): each Deployment's progress deadline counts from it. */
    changedAt: number;
    timeoutMs: number;
    pollMs?: number;
    /** Stops the wait (a deploy stopping): it then rejects with the signal's reason. */
    signal?: AbortSignal;
  },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Set(workloads);
  let last = '';
  while (pending.size > 0) {
    options.signal?.throwIfAborted();
    for (const workload of [...pending]) {
      const key = `${workload.kind}/${workload.namespace}/${workload.name}`;
      let now: WorkloadObservation;
      try {
        // Each look ends by the deadline: a black-holed API server would hold it a whole request timeout.
        now = await readWorkload(
          withinMs(target, deadline - Date.now()),
          workload.kind,
          workload.namespace,
          workload.name,
        );
      } catch (error) {
        if (!isTransient(error)) throw error;
        last = `${key}: ${(error as Error).message.split('\n')[0]}`;
        continue;
      }
      const state = rolloutState(now, (Date.now() - options.changedAt) / 1000);
      if (state.state === 'done') pending.delete(workload);
      else if (state.state === 'failed') throw new RolloutError(`${key} failed: ${state.reason}`);
      else last = `${key}: ${state.detail}`;
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline)
      throw new RolloutError(`not ready within ${Math.round(options.timeoutMs / 1000)}s (${last})`);
    await sleep(options.pollMs ?? 1000, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
