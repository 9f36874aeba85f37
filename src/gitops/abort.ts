import { join } from 'node:path';
import { commitEmpty, logCommits, pathsChangedBy, pushBranch } from '../adapters/git.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment } from '../model/fleet.js';
import type { Progress } from '../report/progress.js';
import { withBranchCheckout } from './checkout.js';
import { revertDeploy } from './deploy.js';
import { deployCommits, gitopsHistory, pausedDeploy } from './history.js';
import { clusterFolder } from './render.js';
import { folderTargets } from './rollback.js';

export interface GitopsAbortOptions {
  environment: Environment;
  clusters: readonly Cluster[];
  repo: string;
  branch: string;
  /** The deploy paused at a manual approval. */
  deployId: string;
  timeoutSeconds: number;
  progress: Progress;
}

export interface GitopsAbortReport {
  deployId: string;
  pausedBefore: string;
  /** The revert of the deploy's wave commits (absent: it had committed nothing, or it could not be made). */
  revert?: string;
  revertConverged?: boolean;
  /** Why the revert could not be made (the branch changed the same files since). */
  revertError?: string;
}

/**
 * Pure: the clusters whose folders a set of changed paths touches (`clusters/<name>/…`), in
 * fleet order.
 */
export function clustersOfPaths(paths: readonly string[], clusters: readonly Cluster[]): Cluster[] {
  return clusters.filter((cluster) =>
    paths.some((path) => path.startsWith(`${clusterFolder(cluster.name)}/`)),
  );
}

/**
 * `regatta abort ID` for a Flux environment: the deploy paused at an approval is undone in git —
 * its wave commits reverted in one commit, which also ends the pause — and the clusters those
 * commits touched are watched back to Ready on last good. From any machine: the state is git's.
 */
export async function gitopsAbort(options: GitopsAbortOptions): Promise<GitopsAbortReport> {
  return withBranchCheckout(options, async (checkout) => {
    const history = gitopsHistory(await logCommits(checkout));
    const paused = pausedDeploy(history, options.environment.name);
    if (paused?.deployId !== options.deployId)
      throw new UserError(`deploy ${options.deployId} is not paused on ${options.branch}`, {
        hint: paused
          ? `the paused deploy is ${paused.deployId}`
          : 'a finished deploy is undone with regatta rollback RELEASE --to an earlier deploy id',
      });
    const pausedBefore = paused.wave ?? '?';
    const commits = deployCommits(history, options.deployId)
      .map((entry) => entry.commit)
      .reverse();
    if (commits.length === 0) {
      // Its earlier waves changed nothing: an empty record ends the pause.
      await commitEmpty(
        checkout,
        `regatta revert ${options.deployId}: aborted at the approval before wave ${pausedBefore} (nothing was committed)\n\n` +
          `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\n`,
      );
      await pushBranch(checkout, options.branch);
      return { deployId: options.deployId, pausedBefore };
    }
    const touched = clustersOfPaths(await pathsChangedBy(checkout, commits), options.clusters);
    const reverted = await revertDeploy({
      ...options,
      checkout,
      commits,
      clusters: touched,
      why: `aborted at the approval before wave ${pausedBefore}`,
      targetsOf: (cluster) => folderTargets(join(checkout, clusterFolder(cluster.name))),
    });
    return { deployId: options.deployId, pausedBefore, ...reverted };
  });
}
