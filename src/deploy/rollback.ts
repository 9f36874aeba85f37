import pLimit from 'p-limit';
import { rollbackRelease, type HelmBinary } from '../adapters/helm.js';
import { UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import type { Progress } from '../report/progress.js';
import { helmCluster } from './clusters.js';
import { DEPLOY_ID_LABEL } from './execute.js';
import { deployIdOf, historyOf, releaseRevisions } from './status.js';
import type { HelmRevision } from '../adapters/kube.js';

export interface RollbackOutcome {
  cluster: string;
  fromRevision?: number;
  toRevision: number;
  status: 'rolled-back' | 'already-there' | 'failed';
  error?: string;
}

export interface RollbackOptions {
  clusters: Cluster[];
  release: string;
  namespace?: string;
  to?: string;
  previous: boolean;
  helm: HelmBinary;
  timeoutSeconds: number;
  progress: Progress;
}

/** Pure: the deploy id before the one live now (by time, across the environment's clusters). */
function previousDeployId(byCluster: ReadonlyMap<string, readonly HelmRevision[]>, release: string): string {
  const current = [...byCluster.values()]
    .map((revisions) => {
      const last = revisions.at(-1);
      return last && deployIdOf(last, revisions);
    })
    .filter((id): id is string => !!id)
    .sort()
    .at(-1);
  const ids = historyOf(byCluster)
    .map((entry) => entry.deployId)
    .filter((id) => !id.startsWith('('));
  const index = current ? ids.indexOf(current) : ids.length;
  const previous = index > 0 ? ids[index - 1] : undefined;
  if (!previous) throw new UserError(`release ${release} has no deploy before ${current ?? 'now'}`);
  return previous;
}

/** Every cluster back to the revision labelled with a deploy id, in parallel, waiting for rollouts. */
export async function rollbackToDeploy(
  options: RollbackOptions,
): Promise<{ deployId: string; outcomes: RollbackOutcome[] }> {
  const name = options.namespace ? `${options.release}.${options.namespace}` : options.release;
  const { byCluster, unreachable } = await releaseRevisions(options.clusters, [name]);
  const down = Object.keys(unreachable);
  if (down.length > 0) throw new UserError(`unreachable: ${down.join(', ')}; nothing was changed`);
  const deployId = options.to ?? previousDeployId(byCluster, name);
  const steps = options.clusters.map((cluster) => {
    const revisions = byCluster.get(cluster.name) ?? [];
    const namespaces = new Set(revisions.map((r) => r.namespace));
    if (namespaces.size > 1) {
      throw new UserError(`release ${options.release} exists in several namespaces of ${cluster.name}`, {
        hint: 'name it RELEASE.NAMESPACE',
      });
    }
    const target = revisions
      .filter((r) => !r.description.startsWith('Rollback to') && r.labels[DEPLOY_ID_LABEL] === deployId)
      .at(-1);
    return { cluster, revisions, target };
  });
  const missing = steps.filter((step) => !step.target).map((step) => step.cluster.name);
  if (missing.length > 0) {
    throw new UserError(
      `deploy ${deployId} of ${options.release} never reached ${missing.join(', ')}; nothing was changed`,
      {
        hint: '`regatta history` lists the deploy ids and where each went',
      },
    );
  }
  const limit = pLimit(steps.length);
  const outcomes = await Promise.all(
    steps.map(({ cluster, revisions, target }) =>
      limit(async (): Promise<RollbackOutcome> => {
        const last = revisions.at(-1)!;
        const to = target!.revision;
        if (deployIdOf(last, revisions) === deployId && last.status === 'deployed') {
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
          await rollbackRelease(
            options.helm,
            { release: options.release, namespace: target!.namespace, cluster: helmCluster(cluster) },
            to,
            options.timeoutSeconds,
          );
          options.progress.line(`${cluster.name}: rolled back to revision ${to}`);
          return {
            cluster: cluster.name,
            fromRevision: last.revision,
            toRevision: to,
            status: 'rolled-back',
          };
        } catch (error) {
          const message = (error as Error).message.split('\n')[0];
          options.progress.line(`${cluster.name}: ROLLBACK FAILED: ${message}`);
          return {
            cluster: cluster.name,
            fromRevision: last.revision,
            toRevision: to,
            status: 'failed',
            error: message,
          };
        }
      }),
    ),
  );
  return { deployId, outcomes };
}
