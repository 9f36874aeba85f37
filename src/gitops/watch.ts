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
  /** A HelmRelease that is gone counts as done (a revert pruned a release the failed commit added). */
  absentIsDone?: boolean;
}

export interface TargetOutcome {
  release: string;
  cluster: string;
  state: Readiness['state'] | 'timeout';
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
async function waitApplied(cluster: Cluster, commit: string, deadline: number): Promise<string | undefined> {
  for (;;) {
    const state = await readKustomization(kubeTarget(cluster), FLUX_NAMESPACE, SYNC_NAME);
    if (state?.lastAppliedRevision?.endsWith(`:${commit}`)) return undefined;
    const ready = state?.conditions.find((c) => c.type === 'Ready');
    if (state?.lastAttemptedRevision?.endsWith(`:${commit}`) && ready?.status === 'False')
      return `Kustomization ${SYNC_NAME}: ${ready.reason ?? ''} ${ready.message ?? ''}`.trim();
    if (Date.now() > deadline) return `commit ${commit.slice(0, 8)} not applied by Flux in time`;
    await sleep(POLL_MS);
  }
}

async function watchTarget(cluster: Cluster, target: WatchTarget, deadline: number): Promise<TargetOutcome> {
  const base = { release: target.key, cluster: cluster.name };
  for (;;) {
    const state = await readHelmRelease(kubeTarget(cluster), target.namespace, target.name);
    if (!state && target.absentIsDone) return { ...base, state: 'ready' };
    const readiness = helmReleaseReadiness(state, { chartVersion: target.chartVersion });
    if (readiness.state === 'ready') return { ...base, state: 'ready' };
    if (readiness.state === 'failed') return { ...base, state: 'failed', reason: readiness.reason };
    if (Date.now() > deadline) return { ...base, state: 'timeout', reason: readiness.reason };
    await sleep(POLL_MS);
  }
}

/**
 * Per cluster: waits until its Kustomization applied `commit` — before that a HelmRelease's
 * Ready condition belongs to the previous commit — then until each target is ready or failed.
 */
export async function watchCommit(
  clusters: readonly Cluster[],
  targetsOf: (cluster: Cluster) => WatchTarget[],
  commit: string,
  deadline: number,
): Promise<TargetOutcome[]> {
  const perCluster = await Promise.all(
    clusters.map(async (cluster) => {
      const targets = targetsOf(cluster);
      const notApplied = await waitApplied(cluster, commit, deadline);
      if (notApplied) {
        const state: TargetOutcome['state'] = Date.now() > deadline ? 'timeout' : 'failed';
        return targets.map((t) => ({ release: t.key, cluster: cluster.name, state, reason: notApplied }));
      }
      return Promise.all(targets.map((target) => watchTarget(cluster, target, deadline)));
    }),
  );
  return perCluster.flat();
}
