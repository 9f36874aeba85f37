import { rollbackRelease, uninstallRelease, type HelmBinary } from '../adapters/helm.js';
import { listHelmRevisions, markRevisionFailed } from '../adapters/helm-storage.js';
import { serverVersion, withinMs, type KubeTarget } from '../adapters/kube.js';
import { timeoutSignal } from '../adapters/timeout-signal.js';
import { isNoAnswer, isTransient, retryTransient, type RetryOptions } from '../adapters/transient.js';
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
  /**
   * When bringing it back must be over (ms since the epoch; a deploy's --rollback-timeout from
   * the start of its rollback): every request, retry, helm run and wait ends by then.
   */
  deadline?: number;
}

const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
const where = (t: RestoreTarget) => `${t.cluster.name} ${t.release}.${t.namespace}`;

/** How long is left before the target's deadline (Infinity without one). */
function remainingMs(t: Pick<RestoreTarget, 'deadline'>): number {
  return t.deadline === undefined ? Infinity : t.deadline - Date.now();
}

/** The cluster's API, its requests aborted by the target's deadline. */
function apiOf(t: Pick<RestoreTarget, 'cluster' | 'deadline'>): KubeTarget {
  return withinMs(kubeTarget(t.cluster), remainingMs(t));
}

/** helm's --timeout and a signal that stops it at the deadline. */
function helmBounds(t: RestoreTarget): { timeoutSeconds: number; signal?: AbortSignal } {
  const left = remainingMs(t);
  if (left === Infinity) return { timeoutSeconds: t.timeoutSeconds };
  return {
    timeoutSeconds: Math.min(t.timeoutSeconds, Math.max(1, Math.ceil(left / 1000))),
    signal: timeoutSignal(Math.max(1, left)),
  };
}

/**
 * Retries transient failures (reset, 5xx, 429, refused) with backoff, and says so. `fn` gets the
 * cluster's API as it may be used for that try (its requests end by the deadline); no try starts
 * once the deadline has passed.
 */
export function retrying<T>(
  t: Pick<RestoreTarget, 'cluster' | 'release' | 'namespace' | 'progress' | 'deadline' | 'timeoutSeconds'>,
  fn: (api: KubeTarget) => Promise<T>,
  more: Pick<RetryOptions, 'giveUpOn'> = {},
): Promise<T> {
  return retryTransient(
    () => {
      if (remainingMs(t) <= 0) throw new Error(`not back within ${t.timeoutSeconds}s (--rollback-timeout)`);
      return fn(apiOf(t));
    },
    {
      ...more,
      attempts: 5,
      budgetMs: Math.min(60_000, remainingMs(t)),
      onRetry: (error, attempt, delay) =>
        t.progress.line(
          `${t.cluster.name} ${t.release}.${t.namespace}: ${firstLine(error)} (try ${attempt}; again in ${(delay / 1000).toFixed(1)}s)`,
        ),
    },
  );
}

/** One try at whether a cluster answers: as long as the first reachability check of a deploy. */
const REACH_TIMEOUT_MS = 10_000;

/**
 * Whether the target's cluster answers at all: its version, 10 s a try. A refusal or a reset is
 * tried again as every step is; a try that got no answer at all is not. Rejects with "<cluster>
 * does not answer" if it does not: a black-holed API server then costs 10 s, not a request
 * timeout per retry of every step of every target there.
 */
export async function reach(t: RestoreTarget): Promise<void> {
  let tryMs = REACH_TIMEOUT_MS;
  try {
    await retrying(
      t,
      (api) => {
        tryMs = Math.min(REACH_TIMEOUT_MS, remainingMs(t));
        return serverVersion(withinMs({ ...api, timeoutMs: REACH_TIMEOUT_MS }, tryMs));
      },
      { giveUpOn: isNoAnswer },
    );
  } catch (error) {
    // Anything but silence or a network failure (a 403, a bad certificate) is an answer: the
    // steps that come next say what is wrong.
    if (!isNoAnswer(error) && !isTransient(error)) return;
    const why = isNoAnswer(error)
      ? `no answer within ${Math.max(1, Math.ceil(tryMs / 1000))}s`
      : firstLine(error);
    throw new Error(`${t.cluster.name} does not answer (${why})`, { cause: error });
  }
}

/** Marks a revision left pending by a stopped helm as failed, so helm accepts the next operation. */
export async function unlock(t: RestoreTarget, revision: number, why: string): Promise<void> {
  await retrying(t, (api) =>
    markRevisionFailed(api, t.namespace, t.release, revision, `Regatta (${t.actor}): ${why}`),
  );
}

/**
 * `helm rollback` to a revision, then waits for its workloads ourselves, giving each Deployment
 * its whole progress deadline from the rollback on (the failed rollout's clock does not count:
 * see plan/rollout.ts). A retried try first looks at what the failed one left.
 */
export async function restoreRevision(t: RestoreTarget, to: number): Promise<void> {
  const history = await retrying(t, (api) =>
    listHelmRevisions(api, { namespace: t.namespace, release: t.release }),
  );
  const restored = history.find((r) => r.revision === to);
  if (!restored)
    throw new Error(`revision ${to} of ${t.release} is not in ${t.cluster.name}'s history any more`);
  const workloads = workloadsOf(restored.manifest, t.namespace);
  const changedAt = Date.now();
  await retrying(t, async (api) => {
    const latest = (await listHelmRevisions(api, { namespace: t.namespace, release: t.release })).at(-1);
    if (latest?.description === `Rollback to ${to}` && latest.status === 'deployed') return;
    if (latest && isPending(latest.status))
      await unlock(t, latest.revision, `${latest.status} left by a stopped helm`);
    const { timeoutSeconds, signal } = helmBounds(t);
    await rollbackRelease(
      t.helm,
      { release: t.release, namespace: t.namespace, cluster: helmCluster(t.cluster) },
      to,
      timeoutSeconds,
      signal,
    );
  });
  t.progress.line(`${where(t)}: revision ${to} applied; waiting for ${workloads.length} workload(s)`);
  await waitForRollouts(kubeTarget(t.cluster), workloads, {
    changedAt,
    timeoutMs: Math.max(0, Math.min(t.timeoutSeconds * 1000, remainingMs(t))),
  });
}

/** `helm uninstall`: the state before a first install. */
export async function uninstall(t: RestoreTarget): Promise<void> {
  await retrying(t, () => {
    const { timeoutSeconds, signal } = helmBounds(t);
    return uninstallRelease(
      t.helm,
      { release: t.release, namespace: t.namespace, cluster: helmCluster(t.cluster) },
      timeoutSeconds,
      signal,
    );
  });
}
