import type { HelmBinary } from '../adapters/helm.js';
import { listLeases } from '../adapters/kube-lease.js';
import { retryTransient } from '../adapters/transient.js';
import { mapBounded } from '../concurrency.js';
import { DeployError, UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { decideRemedy } from '../plan/remediation.js';
import { PAUSED_BEFORE } from '../plan/lease.js';
import type { Progress } from '../report/progress.js';
import { kubeTarget } from './clusters.js';
import { FleetLock, type LockKey } from './lock.js';
import type { RollbackOutcome } from './rollback.js';
import { restoreRevision, retrying, uninstall, unlock, type RestoreTarget } from './restore.js';
import { listHelmRevisions, labelRevision } from '../adapters/helm-storage.js';
import { DEPLOY_ID_LABEL, VERDICT_LABEL } from '../model/helm-release.js';

export interface AbortOptions {
  deployId: string;
  clusters: Cluster[];
  helm: HelmBinary;
  timeoutSeconds: number;
  progress: Progress;
}

export interface AbortOutcome extends RollbackOutcome {
  release: string;
}

/** Every release × cluster whose lock a deploy holds (it paused, or its process died). */
async function heldBy(
  deployId: string,
  clusters: readonly Cluster[],
): Promise<(LockKey & { pausedBefore?: string })[]> {
  const found = await mapBounded(clusters, 8, async (cluster) => {
    try {
      const leases = await retryTransient(() => listLeases(kubeTarget(cluster), deployId));
      return leases.map((lease) => ({
        cluster,
        release: lease.name.replace(/^regatta-lock\./, ''),
        namespace: lease.namespace,
        pausedBefore: lease.annotations[PAUSED_BEFORE],
      }));
    } catch (error) {
      throw new DeployError(
        `unreachable: ${cluster.name} (${(error as Error).message.split('\n')[0]}); nothing was changed`,
      );
    }
  });
  return found.flat();
}

/**
 * `regatta abort ID`: a paused (or orphaned) deploy's waves 1…k back to last good, from any
 * machine — its locks found in the clusters, taken over, every revision it made undone, the
 * locks let go.
 */
export async function abortDeploy(options: AbortOptions): Promise<AbortOutcome[]> {
  const keys = await heldBy(options.deployId, options.clusters);
  if (keys.length === 0)
    throw new UserError(`deploy ${options.deployId} holds no lock in these clusters: nothing to abort`, {
      hint: '`regatta status` shows paused deploys',
    });
  const lock = await FleetLock.acquire(keys, {
    id: options.deployId,
    command: 'deploy',
    waitMs: 0,
    progress: options.progress,
  });
  try {
    return await mapBounded(keys, 8, async (key): Promise<AbortOutcome> => {
      const t: RestoreTarget = {
        helm: options.helm,
        cluster: key.cluster,
        release: key.release,
        namespace: key.namespace,
        timeoutSeconds: options.timeoutSeconds,
        progress: options.progress,
        actor: `abort of ${options.deployId}`,
      };
      const target = kubeTarget(key.cluster);
      const base = { cluster: key.cluster.name, release: `${key.release}.${key.namespace}` };
      const history = await retrying(t, () =>
        listHelmRevisions(target, { namespace: key.namespace, release: key.release }),
      );
      const ours = history.filter(
        (r) => r.labels[DEPLOY_ID_LABEL] === options.deployId && !r.description.startsWith('Rollback'),
      );
      const from = history.at(-1)?.revision;
      const remedy = decideRemedy({
        deployId: options.deployId,
        history,
        previousRevision: ours[0] ? ours[0].revision - 1 : from,
        wasAbsent: ours.length > 0 && ours[0]!.revision === 1,
      });
      try {
        if (remedy.kind === 'none' || remedy.kind === 'leave') {
          options.progress.line(`${key.cluster.name} ${base.release}: ${remedy.why}`);
          return { ...base, fromRevision: from, toRevision: from ?? 0, status: 'already-there' };
        }
        if (remedy.unlock !== undefined) await unlock(t, remedy.unlock, `aborted deploy ${options.deployId}`);
        if (remedy.kind === 'stuck') throw new Error(remedy.why);
        if (remedy.kind === 'uninstall') {
          await uninstall(t);
          return { ...base, fromRevision: from, toRevision: 0, status: 'uninstalled' };
        }
        options.progress.line(`${key.cluster.name} ${base.release}: rolling back to revision ${remedy.to}`);
        await restoreRevision(t, remedy.to);
        for (const revision of ours)
          await retryTransient(() =>
            labelRevision(target, key.namespace, key.release, revision.revision, {
              [VERDICT_LABEL]: 'failed',
            }),
          ).catch((error: unknown) =>
            options.progress.line(
              `${key.cluster.name} ${base.release}: could not record revision ${revision.revision} as failed: ${(error as Error).message.split('\n')[0]}`,
            ),
          );
        return { ...base, fromRevision: from, toRevision: remedy.to, status: 'rolled-back' };
      } catch (error) {
        return {
          ...base,
          fromRevision: from,
          toRevision: 0,
          status: 'failed',
          error: (error as Error).message.split('\n')[0],
        };
      }
    });
  } finally {
    await lock.release();
  }
}
