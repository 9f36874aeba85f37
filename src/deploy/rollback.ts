import { listHelmRevisions } from '../adapters/helm-storage.js';
import type { HelmBinary } from '../adapters/helm.js';
import { mapBounded } from '../concurrency.js';
import { DeployError, UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { isPending, type HelmRevision } from '../model/helm-release.js';
import { deployIdOf, lastGoodRevision, verdictOf } from '../plan/last-good.js';
import { checkRollbackTarget, previousGoodDeployId, revisionOfDeploy } from '../plan/rollback-target.js';
import { DEPLOY_ID_LABEL } from '../model/helm-release.js';
import type { Progress } from '../report/progress.js';
import { kubeTarget } from './clusters.js';
import { FleetLock } from './lock.js';
import { restoreRevision, retrying, uninstall, unlock, type RestoreTarget } from './restore.js';
import { historyOf, releaseRevisions } from './status.js';

export interface RollbackOutcome {
  cluster: string;
  fromRevision?: number;
  toRevision: number;
  status: 'rolled-back' | 'already-there' | 'failed' | 'uninstalled';
  /** What `recover` found and did first (an unlocked pending release). */
  recovered?: string;
  error?: string;
}

export interface FleetActionOptions {
  clusters: Cluster[];
  release: string;
  namespace?: string;
  helm: HelmBinary;
  timeoutSeconds: number;
  progress: Progress;
  /** Identifies this run as a lock holder. */
  runId: string;
  waitForLockMs: number;
}

export interface RollbackOptions extends FleetActionOptions {
  to?: string;
  previous: boolean;
  force: boolean;
}

/** Reads every cluster's revisions of the release; an unreachable cluster stops everything first (exit 1). */
async function observe(options: FleetActionOptions) {
  const name = options.namespace ? `${options.release}.${options.namespace}` : options.release;
  const { byCluster, unreachable } = await releaseRevisions(options.clusters, [name]);
  const down = Object.entries(unreachable).map(([cluster, why]) => `${cluster} (${why})`);
  if (down.length > 0)
    throw new DeployError(`unreachable: ${down.join(', ')}; nothing was changed`, {
      hint: 'check the cluster, or leave it out with --cluster / -l',
    });
  const namespaces = new Set([...byCluster.values()].flat().map((r) => r.namespace));
  if (namespaces.size > 1)
    throw new UserError(
      `release ${options.release} exists in several namespaces (${[...namespaces].join(', ')})`,
      {
        hint: 'name it RELEASE.NAMESPACE',
      },
    );
  return { byCluster, namespace: options.namespace ?? [...namespaces][0] };
}

async function withLock<T>(
  options: FleetActionOptions,
  namespace: string,
  command: 'rollback' | 'recover',
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await FleetLock.acquire(
    options.clusters.map((cluster) => ({ cluster, release: options.release, namespace })),
    { id: options.runId, command, waitMs: options.waitForLockMs, progress: options.progress },
  );
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

function restoreTarget(options: FleetActionOptions, cluster: Cluster, namespace: string): RestoreTarget {
  return {
    helm: options.helm,
    cluster,
    release: options.release,
    namespace,
    timeoutSeconds: options.timeoutSeconds,
    progress: options.progress,
    actor: options.runId,
  };
}

/** Every cluster back to the revision of a deploy id, in parallel, waiting for rollouts; under the fleet lock. */
export async function rollbackToDeploy(
  options: RollbackOptions,
): Promise<{ deployId: string; outcomes: RollbackOutcome[] }> {
  const first = await observe(options);
  const entries = historyOf(first.byCluster);
  const deployId = options.to ?? previousGoodDeployId(entries, options.release);
  checkRollbackTarget(entries, deployId, options.release, options.force);
  const missing = options.clusters.filter(
    (c) => !revisionOfDeploy(first.byCluster.get(c.name) ?? [], deployId),
  );
  if (missing.length > 0)
    throw new UserError(
      `deploy ${deployId} of ${options.release} is not in the history of ${missing.map((c) => c.name).join(', ')}; nothing was changed`,
      { hint: '`regatta history` lists the deploy ids and where each went' },
    );
  const namespace = first.namespace!;
  return withLock(options, namespace, 'rollback', async () => {
    const outcomes = await mapBounded(
      options.clusters,
      options.clusters.length,
      async (cluster): Promise<RollbackOutcome> => {
        const t = restoreTarget(options, cluster, namespace);
        // Observed again under the lock: what is live may have changed since.
        const revisions = await retrying(t, () =>
          listHelmRevisions(kubeTarget(cluster), { namespace, release: options.release }),
        );
        const to = revisionOfDeploy(revisions, deployId)!.revision;
        const last = revisions.at(-1);
        if (last && deployIdOf(last, revisions) === deployId && last.status === 'deployed') {
          options.progress.line(`${cluster.name}: already at ${deployId} (revision ${last.revision})`);
          return {
            cluster: cluster.name,
            fromRevision: last.revision,
            toRevision: to,
            status: 'already-there',
          };
        }
        options.progress.line(`${cluster.name}: rolling back ${options.release} to revision ${to}`);
        try {
          await restoreRevision(t, to);
          options.progress.line(`${cluster.name}: rolled back to revision ${to}`);
          return {
            cluster: cluster.name,
            fromRevision: last?.revision,
            toRevision: to,
            status: 'rolled-back',
          };
        } catch (error) {
          const message = (error as Error).message.split('\n')[0] ?? '';
          options.progress.line(`${cluster.name}: ROLLBACK FAILED: ${message}`);
          return {
            cluster: cluster.name,
            fromRevision: last?.revision,
            toRevision: to,
            status: 'failed',
            error: message,
          };
        }
      },
    );
    return { deployId, outcomes };
  });
}

/** Pure: what `recover` does in one cluster. */
export function recoveryStep(
  revisions: readonly HelmRevision[],
):
  | { kind: 'nothing'; why: string }
  | { kind: 'rollback'; to: number; unlock?: HelmRevision }
  | { kind: 'uninstall'; unlock?: HelmRevision }
  | { kind: 'stuck'; why: string; unlock?: HelmRevision } {
  const last = revisions.at(-1);
  if (!last || last.status === 'uninstalled') return { kind: 'nothing', why: 'not installed' };
  const pending = isPending(last.status) ? last : undefined;
  if (!pending && last.status === 'deployed' && verdictOf(last, revisions) === 'good')
    return { kind: 'nothing', why: `already on last good (revision ${last.revision})` };
  const good = lastGoodRevision(revisions.filter((r) => r !== last));
  if (good) return { kind: 'rollback', to: good.revision, unlock: pending };
  if (revisions.every((r) => r.labels[DEPLOY_ID_LABEL])) return { kind: 'uninstall', unlock: pending };
  return { kind: 'stuck', why: 'no revision of it was ever good', unlock: pending };
}

/**
 * `regatta recover`: what a killed or cut-off run left — a release stuck pending, or live on a
 * revision no successful deploy vouched for — back to last good in every cluster, under the lock.
 */
export async function recoverRelease(options: FleetActionOptions): Promise<RollbackOutcome[]> {
  const first = await observe(options);
  const namespace = first.namespace;
  if (!namespace) throw new UserError(`release ${options.release} is not installed in any selected cluster`);
  return withLock(options, namespace, 'recover', () =>
    mapBounded(options.clusters, options.clusters.length, async (cluster): Promise<RollbackOutcome> => {
      const t = restoreTarget(options, cluster, namespace);
      const revisions = await retrying(t, () =>
        listHelmRevisions(kubeTarget(cluster), { namespace, release: options.release }),
      );
      const step = recoveryStep(revisions);
      const from = revisions.at(-1)?.revision;
      if (step.kind === 'nothing') {
        options.progress.line(`${cluster.name}: ${step.why}`);
        return { cluster: cluster.name, fromRevision: from, toRevision: from ?? 0, status: 'already-there' };
      }
      try {
        let recovered: string | undefined;
        if (step.unlock) {
          await unlock(t, step.unlock.revision, `${step.unlock.status} with no live holder; recovered`);
          recovered = `revision ${step.unlock.revision} was ${step.unlock.status}: marked failed`;
          options.progress.line(`${cluster.name}: recovered: ${recovered}`);
        }
        if (step.kind === 'stuck') throw new Error(step.why);
        if (step.kind === 'uninstall') {
          await uninstall(t);
          return {
            cluster: cluster.name,
            fromRevision: from,
            toRevision: 0,
            status: 'uninstalled',
            recovered,
          };
        }
        options.progress.line(`${cluster.name}: rolling back to last good revision ${step.to}`);
        await restoreRevision(t, step.to);
        return {
          cluster: cluster.name,
          fromRevision: from,
          toRevision: step.to,
          status: 'rolled-back',
          recovered,
        };
      } catch (error) {
        const message = (error as Error).message.split('\n')[0] ?? '';
        return { cluster: cluster.name, fromRevision: from, toRevision: 0, status: 'failed', error: message };
      }
    }),
  );
}
