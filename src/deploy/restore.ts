import { rollbackRelease, uninstallRelease, type HelmBinary } from '../adapters/helm.js';
import { listHelmRevisions, markRevisionFailed } from '../adapters/helm-storage.js';
import { retryTransient } from '../adapters/transient.js';
import type { Cluster } from '../model/fleet.js';
import { isPending } from '../model/helm-release.js';
import type { Progress } from '../report/progress.js';
import { helmCluster, kubeTarget } from './clusters.js';
import { waitForRollouts, workloadsOf } from './wait.js';

/** One release in one cluster, as the rollback actions need it. */
export interface RestoreTarget {
  helm: HelmBinary;
  cluster: Cluster;
  release: string;
  namespace: string;
  timeoutSeconds: number;
  progress: Progress;
  /** Who is acting (a deploy or rollback id), written into what it unlocks. */
  actor: string;
}

const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
const where = (t: RestoreTarget) => `${t.cluster.name} ${t.release}.${t.namespace}`;

/** Retries transient failures (reset, 5xx, 429, refused) with backoff, and says so. */
export function retrying<T>(
  t: Pick<RestoreTarget, 'cluster' | 'release' | 'namespace' | 'progress'>,
  fn: () => Promise<T>,
): Promise<T> {
  return retryTransient(fn, {
    attempts: 5,
    onRetry: (error, attempt, delay) =>
      t.progress.line(
        `${t.cluster.name} ${t.release}.${t.namespace}: ${firstLine(error)} (try ${attempt}; again in ${(delay / 1000).toFixed(1)}s)`,
      ),
  });
}

/** Marks a revision left pending by a stopped helm as failed, so helm accepts the next operation. */
export async function unlock(t: RestoreTarget, revision: number, why: string): Promise<void> {
  await retrying(t, () =>
    markRevisionFailed(
      kubeTarget(t.cluster),
      t.namespace,
      t.release,
      revision,
      `Regatta (${t.actor}): ${why}`,
    ),
  );
}

/**
 * `helm rollback` to a revision, then waits for its workloads ourselves, giving each Deployment
 * its whole progress deadline from the rollback on (the failed rollout's clock does not count:
 * see plan/rollout.ts). A retried try first looks at what the failed one left.
 */
export async function restoreRevision(t: RestoreTarget, to: number): Promise<void> {
  const target = kubeTarget(t.cluster);
  const history = await retrying(t, () =>
    listHelmRevisions(target, { namespace: t.namespace, release: t.release }),
  );
  const restored = history.find((r) => r.revision === to);
  if (!restored)
    throw new Error(`revision ${to} of ${t.release} is not in ${t.cluster.name}'s history any more`);
  const workloads = workloadsOf(restored.manifest, t.namespace);
  const changedAt = Date.now();
  await retrying(t, async () => {
    const latest = (await listHelmRevisions(target, { namespace: t.namespace, release: t.release })).at(-1);
    if (latest?.description === `Rollback to ${to}` && latest.status === 'deployed') return;
    if (latest && isPending(latest.status))
      await unlock(t, latest.revision, `${latest.status} left by a stopped helm`);
    await rollbackRelease(
      t.helm,
      { release: t.release, namespace: t.namespace, cluster: helmCluster(t.cluster) },
      to,
      t.timeoutSeconds,
    );
  });
  t.progress.line(`${where(t)}: revision ${to} applied; waiting for ${workloads.length} workload(s)`);
  await waitForRollouts(target, workloads, { changedAt, timeoutMs: t.timeoutSeconds * 1000 });
}

/** `helm uninstall`: the state before a first install. */
export async function uninstall(t: RestoreTarget): Promise<void> {
  await retrying(t, () =>
    uninstallRelease(
      t.helm,
      { release: t.release, namespace: t.namespace, cluster: helmCluster(t.cluster) },
      t.timeoutSeconds,
    ),
  );
}
