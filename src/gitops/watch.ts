import { setTimeout as sleep } from 'node:timers/promises';
import { readHelmRelease, readKustomization } from '../adapters/flux.js';
import { annotateObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import type { Cluster } from '../model/fleet.js';
import { FLUX_API, FLUX_NAMESPACE, SYNC_NAME } from './objects.js';
import { helmReleaseReadiness, type Readiness } from './readiness.js';

const POLL_MS = 1_000;

/** One HelmRelease to watch in a cluster. */
export interface WatchTarget {
  /** `release.namespace`, as reported. */
  key: string;
  namespace: string;
  name: string;
  /** The chart version it must have attempted and deployed; absent: any, at the current generation. */
  chartVersion?: string;
  /**
   * The configDigest its newest release must carry (config-digest.ts); absent: any values.
   * A hash of secret values: compared, never reported.
   */
  configDigest?: string;
  /** A HelmRelease that is gone counts as done (a revert pruned a release the failed commit added). */
  absentIsDone?: boolean;
}

export interface TargetOutcome {
  release: string;
  cluster: string;
  /** `stopped`: no longer watched (another target failed, or a signal). */
  state: Readiness['state'] | 'timeout' | 'stopped';
  reason?: string;
}

/** Asks each cluster's Flux to fetch and apply now rather than at its next interval (what `flux reconcile` does). */
export async function requestReconcile(clusters: readonly Cluster[]): Promise<void> {
  const requestedAt = new Date().toISOString();
  await Promise.all(
    clusters.flatMap((cluster) =>
      [
        { apiVersion: FLUX_API.gitRepository, kind: 'GitRepository' },
        { apiVersion: FLUX_API.kustomization, kind: 'Kustomization' },
      ].map((ref) =>
        annotateObject(
          kubeTarget(cluster),
          { ...ref, name: SYNC_NAME, namespace: FLUX_NAMESPACE },
          { 'reconcile.fluxcd.io/requestedAt': requestedAt },
        ),
      ),
    ),
  );
}

/** Until the cluster's Kustomization applied `commit` (undefined) or failed on it (its message). */
async function waitApplied(
  cluster: Cluster,
  commit: string,
  deadline: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  for (;;) {
    if (signal.aborted) return 'stopped';
    const state = await readKustomization(kubeTarget(cluster), FLUX_NAMESPACE, SYNC_NAME);
    if (state?.lastAppliedRevision?.endsWith(`:${commit}`)) return undefined;
    const ready = state?.conditions.find((c) => c.type === 'Ready');
    if (state?.lastAttemptedRevision?.endsWith(`:${commit}`) && ready?.status === 'False')
      return `Kustomization ${SYNC_NAME}: ${ready.reason ?? ''} ${ready.message ?? ''}`.trim();
    if (Date.now() > deadline) return `commit ${commit.slice(0, 8)} not applied by Flux in time`;
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

async function watchTarget(
  cluster: Cluster,
  target: WatchTarget,
  deadline: number,
  signal: AbortSignal,
): Promise<TargetOutcome> {
  const base = { release: target.key, cluster: cluster.name };
  for (;;) {
    if (signal.aborted) return { ...base, state: 'stopped' };
    const state = await readHelmRelease(kubeTarget(cluster), target.namespace, target.name);
    if (!state && target.absentIsDone) return { ...base, state: 'ready' };
    const readiness = helmReleaseReadiness(state, {
      chartVersion: target.chartVersion,
      configDigest: target.configDigest,
    });
    if (readiness.state === 'ready') return { ...base, state: 'ready' };
    if (readiness.state === 'failed') return { ...base, state: 'failed', reason: readiness.reason };
    if (Date.now() > deadline) return { ...base, state: 'timeout', reason: readiness.reason };
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * Per cluster: waits until its Kustomization applied `commit` — before that a HelmRelease's
 * Ready condition belongs to the previous commit — then until each target is ready or failed.
 * The first target that fails or times out stops the watch of the others (`stopped`): the
 * deploy has failed, and waiting on would only delay the revert. So does `signal`.
 */
export async function watchCommit(
  clusters: readonly Cluster[],
  targetsOf: (cluster: Cluster) => WatchTarget[],
  commit: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<TargetOutcome[]> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  const settled = (outcome: TargetOutcome) => {
    if (outcome.state === 'failed' || outcome.state === 'timeout') stop.abort();
    return outcome;
  };
  try {
    const perCluster = await Promise.all(
      clusters.map(async (cluster) => {
        const targets = targetsOf(cluster);
        const notApplied = await waitApplied(cluster, commit, deadline, stop.signal);
        if (notApplied) {
          const state: TargetOutcome['state'] =
            notApplied === 'stopped' ? 'stopped' : Date.now() > deadline ? 'timeout' : 'failed';
          return targets.map((t) =>
            settled({
              release: t.key,
              cluster: cluster.name,
              state,
              ...(state === 'stopped' ? {} : { reason: notApplied }),
            }),
          );
        }
        return Promise.all(
          targets.map(async (target) => settled(await watchTarget(cluster, target, deadline, stop.signal))),
        );
      }),
    );
    return perCluster.flat();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
