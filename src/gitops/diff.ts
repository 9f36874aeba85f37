import { pendingChanges } from '../adapters/git.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import type { SecretsDelivery } from './external-secrets.js';
import { withBranchCheckout, writeFolders } from './checkout.js';
import { clusterFolder, type GitopsRelease } from './render.js';
import { desiredTree, readSecrets } from './tree.js';

/** One cluster's folder: what a deploy would commit there. */
export interface GitopsClusterDiff {
  cluster: string;
  /** A added, M modified, D deleted; paths relative to the repository. */
  files: { status: string; path: string }[];
  /** The unified diff (no secret value can be in it: the tree holds none). */
  patch: string;
}

/**
 * `plan` and `diff` for a Flux environment: the tree a deploy would commit, compared with the
 * fleet branch — per cluster folder, with no commit, push or Secret made. A secret whose value
 * changed shows as a new valuesFrom Secret name, never as a value.
 */
export async function gitopsDiff(options: {
  fleet: Fleet;
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly GitopsRelease[];
  repo: string;
  branch: string;
  timeoutSeconds: number;
  env: NodeJS.ProcessEnv;
  secrets?: SecretsDelivery;
}): Promise<GitopsClusterDiff[]> {
  const releases = options.releases.filter(({ release }) => release.environment === options.environment.name);
  const secrets = await readSecrets(options, releases);
  return withBranchCheckout(options, async (checkout) => {
    const { files } = await desiredTree({
      ...options,
      releases,
      checkout,
      secrets,
      secretsDelivery: options.secrets,
      deployId: 'next',
    });
    const diffs: GitopsClusterDiff[] = [];
    for (const cluster of options.clusters) {
      const folder = clusterFolder(cluster.name);
      writeFolders(checkout, files, [folder]);
      diffs.push({ cluster: cluster.name, ...(await pendingChanges(checkout, [folder])) });
    }
    return diffs;
  });
}
