import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  BranchMovedError,
  commitPaths,
  findCommit,
  logCommits,
  pendingChanges,
  filesInCommit,
  pathsInCommit,
  pushBranch,
  restorePaths,
} from '../adapters/git.js';
import { DeployError, UserError } from '../errors.js';
import type { Cluster, Environment } from '../model/fleet.js';
import type { Progress } from '../report/progress.js';
import { readObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { withBranchCheckout } from './checkout.js';
import { deadline } from './deploy.js';
import { secretOfFile, SECRET_REVISIONS_KEPT } from './secret-versions.js';
import { gitopsHistory, pausedDeploy, previousDeploy, releasePathspec } from './history.js';
import { clusterFolder } from './render.js';
import { requestReconcile, watchCommit, type TargetOutcome, type WatchTarget } from './watch.js';

export interface GitopsRollbackOptions {
  environment: Environment;
  clusters: readonly Cluster[];
  repo: string;
  branch: string;
  /** The deploy to return to; `previous`: the release's last good deploy before the live one. */
  to: string | 'previous';
  /** Only this release (`name` or `name.namespace`): its HelmRelease file in each cluster folder. */
  release?: string;
  deployId: string;
  timeoutSeconds: number;
  progress: Progress;
}

export interface GitopsRollbackReport {
  deployId: string;
  to: string;
  /** The commit `to` made, and the commit that restores it (absent: the branch already holds it). */
  target: string;
  commit?: string;
  outcomes: TargetOutcome[];
}

/** The HelmReleases of a rendered cluster folder, as watch targets (chart versions when pinned there). */
export function folderTargets(folder: string): WatchTarget[] {
  const dir = join(folder, 'releases');
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  } catch {
    return [];
  }
  return files.sort().map((file) => {
    const object = parse(readFileSync(join(dir, file), 'utf8')) as {
      metadata: { name: string; namespace: string };
      spec: { chart?: { spec?: { version?: string } } };
    };
    const version = object.spec.chart?.spec?.version;
    return {
      key: `${object.metadata.name}.${object.metadata.namespace}`,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      ...(version ? { chartVersion: version } : {}),
    };
  });
}

/** The HelmRelease files of one release under the folders, in any of the commits. */
async function releaseFiles(
  checkout: string,
  commits: readonly string[],
  folders: readonly string[],
  release: string,
): Promise<string[]> {
  const file = release.includes('.') ? `${release}.yaml` : undefined;
  const found = new Set<string>();
  for (const commit of commits)
    for (const path of await filesInCommit(
      checkout,
      commit,
      folders.map((f) => `${f}/releases`),
    ))
      if (file ? path.endsWith(`/${file}`) : path.split('/').pop()?.startsWith(`${release}.`))
        found.add(path);
  return [...found].sort();
}

/**
 * Every valuesFrom Secret the files this rollback changes read must still be in its cluster:
 * those of revisions older than the last SECRET_REVISIONS_KEPT are removed (exit 2, nothing
 * committed). A cluster that cannot be asked is no reason to hold back the others' rollback.
 */
async function requireSecrets(
  checkout: string,
  paths: readonly string[],
  options: GitopsRollbackOptions & { to: string },
): Promise<void> {
  const changed = (await pendingChanges(checkout, paths)).files.filter((f) => f.status !== 'D');
  for (const cluster of options.clusters) {
    const folder = `${clusterFolder(cluster.name)}/releases/`;
    for (const { path } of changed.filter((f) => f.path.startsWith(folder))) {
      const content = readFileSync(join(checkout, path), 'utf8');
      const name = secretOfFile(content);
      if (!name) continue;
      const namespace = (parse(content) as { metadata: { namespace: string } }).metadata.namespace;
      const secret = await readObject(kubeTarget(cluster), {
        apiVersion: 'v1',
        kind: 'Secret',
        name,
        namespace,
      }).catch((error: unknown) => {
        options.progress.line(
          `WARNING: ${cluster.name}: could not check Secret ${namespace}/${name} (${(error as Error).message.split('\n')[0]}); Flux will report it`,
        );
        return 'unknown' as const;
      });
      if (!secret)
        throw new UserError(
          `the secret values ${path
            .split('/')
            .pop()!
            .replace(
              /\.yaml$/,
              '',
            )} had at ${options.to} are no longer in ${cluster.name} (Secret ${namespace}/${name})`,
          {
            hint: `Regatta keeps those of the last ${SECRET_REVISIONS_KEPT} revisions: deploy the release files of ${options.to} instead (secrets are read from Vault anew)`,
          },
        );
    }
  }
}

/** `--previous`: from the release's history on the branch (exit 2 when it has no earlier good deploy). */
async function previousOf(checkout: string, options: GitopsRollbackOptions): Promise<string> {
  const release = options.release;
  const history = gitopsHistory(await logCommits(checkout, release ? [releasePathspec(release)] : []));
  const previous = previousDeploy(history);
  if (!previous)
    throw new UserError(
      `no deploy of ${release ?? options.environment.name} before the live one on ${options.branch}`,
      {
        hint: `see regatta history${release ? ` ${release}` : ''} --env ${options.environment.name}`,
      },
    );
  options.progress.line(`the previous deploy of ${release ?? options.environment.name} is ${previous}`);
  return previous;
}

/**
 * `rollback --to ID` for a Flux environment is a commit too: the cluster folders as deploy ID
 * committed them, pushed, then watched like a deploy until every HelmRelease is Ready again.
 */
export async function gitopsRollback(options: GitopsRollbackOptions): Promise<GitopsRollbackReport> {
  return withBranchCheckout(options, async (checkout) => {
    const paused = pausedDeploy(gitopsHistory(await logCommits(checkout)), options.environment.name);
    if (paused)
      // Half its waves run it: rolling one release back would leave a mix no abort could undo.
      throw new UserError(
        `deploy ${paused.deployId} is paused before wave ${paused.wave} on ${options.branch}`,
        {
          hint: `undo it first with regatta abort ${paused.deployId} (or approve it with deploy --resume), then roll back`,
        },
      );
    const to = options.to === 'previous' ? await previousOf(checkout, options) : options.to;
    const escaped = to.replace(/[.[\]*^$\\]/g, '\\$&');
    const target = await findCommit(checkout, `^regatta deploy ${escaped}:`);
    if (!target)
      throw new UserError(`no deploy ${to} on ${options.branch} of ${options.repo}`, {
        hint: 'deploy ids are in the commit messages: git log --grep "Regatta-Deploy-Id"',
      });
    const folders = options.clusters.map((cluster) => clusterFolder(cluster.name));
    const paths = options.release
      ? await releaseFiles(checkout, [target, 'HEAD'], folders, options.release)
      : folders;
    const present = await pathsInCommit(checkout, target, paths);
    for (const path of paths.filter((f) => !present.includes(f)))
      rmSync(join(checkout, path), { recursive: true, force: true });
    await restorePaths(checkout, target, present);
    await requireSecrets(checkout, paths, { ...options, to });
    const commit = await commitPaths(
      checkout,
      paths,
      `regatta rollback ${options.deployId}: ${options.environment.name}${options.release ? ` ${options.release}` : ''} back to ${to}\n\n` +
        `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\nRegatta-Rollback-To: ${to}\n`,
    );
    if (!commit) {
      options.progress.line(`${options.branch} already holds the state of ${to}`);
      return { deployId: options.deployId, to: to, target, outcomes: [] };
    }
    const pushed = await pushBranch(checkout, options.branch).catch((error: unknown) => {
      if (error instanceof BranchMovedError)
        throw new DeployError(`rollback to ${to} not committed: ${error.message}`, {
          hint: 'nothing changed; see regatta history, then run the rollback again',
        });
      throw error;
    });
    options.progress.line(`pushed ${pushed.slice(0, 8)}: every cluster back to ${to}`);
    await requestReconcile(options.clusters);
    const outcomes = await watchCommit(
      options.clusters,
      (cluster) => folderTargets(join(checkout, clusterFolder(cluster.name))),
      pushed,
      deadline(options),
    );
    return { deployId: options.deployId, to: to, target, commit: pushed, outcomes };
  });
}
