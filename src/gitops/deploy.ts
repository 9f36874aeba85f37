import { revealSecretsForFlux } from '../values/secret.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkoutBranch, commitPaths, pushBranch, revertCommit } from '../adapters/git.js';
import { applyObjects, type KubeObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import { releaseKey } from '../model/release.js';
import type { Progress } from '../report/progress.js';
import { clusterFolder, renderEnvironment, type GitopsRelease } from './render.js';
import type { SecretsDelivery } from './external-secrets.js';
import { requireExternalSecretsOperator } from './external-secrets-check.js';
import { vaultSecrets, versionSecrets } from './secret-versions.js';
import { requestReconcile, watchCommit, type TargetOutcome } from './watch.js';

/** On top of helm's own timeout: for Flux to fetch the commit, apply it and start the upgrade. */
const FLUX_APPLY_MARGIN_MS = 120_000;

export interface GitopsDeployOptions {
  fleet: Fleet;
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly GitopsRelease[];
  repo: string;
  branch: string;
  deployId: string;
  /** Helm's wait for each rollout (HelmRelease spec.timeout). */
  timeoutSeconds: number;
  env: NodeJS.ProcessEnv;
  progress: Progress;
  /** Default: Regatta reads Vault and creates the (versioned) Secrets the HelmReleases read. */
  secrets?: SecretsDelivery;
}

export interface GitopsDeployReport {
  deployId: string;
  /** Absent when the rendered tree equals the branch: nothing to deploy. */
  commit?: string;
  outcomes: TargetOutcome[];
  /** The revert commit, when a target failed. */
  revert?: string;
  /** After a revert: whether every cluster was back on a Ready release within the timeout. */
  revertConverged?: boolean;
}

export const deadline = (options: { timeoutSeconds: number }) =>
  Date.now() + options.timeoutSeconds * 1000 + FLUX_APPLY_MARGIN_MS;

/**
 * A Flux environment's deploy: the rendered tree is committed and pushed, every cluster's
 * Flux applies it, and each HelmRelease is watched until Flux reports it Ready for that very
 * commit. If any target fails or times out, the commit is reverted — a commit too, so every
 * cluster returns to last good together and the git log tells why.
 */
export async function gitopsDeploy(options: GitopsDeployOptions): Promise<GitopsDeployReport> {
  const { environment, clusters } = options;
  if (environment.engine !== 'flux')
    throw new UserError(`environment ${environment.name} is deployed by helm, not Flux`, {
      position: { file: options.fleet.file },
      hint: `set environments.${environment.name}.engine: flux, or use regatta deploy`,
    });
  const releases = options.releases.filter(({ release }) => release.environment === environment.name);
  const delivery = options.secrets ?? { source: 'vault' };
  // Every secret is read before anything changes; each Secret exists before the commit that needs it.
  // With external-secrets nothing is read: the operator of each cluster makes those Secrets.
  const secrets = await vaultSecrets({
    delivery,
    fleet: options.fleet,
    releases: releases.map(({ release }) => release),
    clusters,
    env: options.env,
  });
  if (delivery.source === 'external-secrets') await requireExternalSecretsOperator(clusters, delivery.store);
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(options.repo, options.branch, checkout);
    const versioned = secrets
      ? await versionSecrets({
          checkout,
          releases,
          clusters,
          secrets: (release, cluster) => revealSecretsForFlux(secrets(release, cluster)),
          deployId: options.deployId,
        })
      : { releases, objects: new Map<string, KubeObject[]>() };
    const files = renderEnvironment({
      environment,
      clusters,
      releases: versioned.releases,
      timeoutSeconds: options.timeoutSeconds,
      sync: { url: options.repo, branch: options.branch },
      secrets: delivery,
    });
    const folders = clusters.map((cluster) => clusterFolder(cluster.name));
    for (const folder of folders) rmSync(join(checkout, folder), { recursive: true, force: true });
    for (const file of files) {
      mkdirSync(dirname(join(checkout, file.path)), { recursive: true });
      writeFileSync(join(checkout, file.path), file.content);
    }
    const summary = `${releases.length} releases × ${clusters.length} clusters`;
    const commit = await commitPaths(
      checkout,
      folders,
      `regatta deploy ${options.deployId}: ${environment.name}, ${summary}\n\nRegatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${environment.name}\n`,
    );
    if (!commit) {
      options.progress.line(`nothing to commit: ${options.branch} already holds this state`);
      return { deployId: options.deployId, outcomes: [] };
    }
    await Promise.all(
      clusters.map((cluster) => applyObjects(kubeTarget(cluster), versioned.objects.get(cluster.name) ?? [])),
    );
    await pushBranch(checkout, options.branch);
    options.progress.line(`pushed ${commit.slice(0, 8)} to ${options.branch}: watching ${summary}`);
    await requestReconcile(clusters);
    const watchTargets = (expectVersions: boolean) => () =>
      releases.map(({ release, origin }) => ({
        key: releaseKey(release),
        namespace: release.namespace,
        name: release.name,
        ...(expectVersions ? { chartVersion: origin.version } : { absentIsDone: true }),
      }));
    const outcomes = await watchCommit(clusters, watchTargets(true), commit, deadline(options));
    const failed = outcomes.filter((outcome) => outcome.state !== 'ready');
    if (failed.length === 0) return { deployId: options.deployId, commit, outcomes };

    const why = failed.map((f) => `${f.release}@${f.cluster}: ${f.state}${f.reason ? ` (${f.reason})` : ''}`);
    const revert = await revertCommit(
      checkout,
      commit,
      `regatta revert ${options.deployId}: ${failed.length} of ${outcomes.length} targets not ready\n\n${why.join('\n')}\n\nThis reverts commit ${commit}.\nRegatta-Deploy-Id: ${options.deployId}\n`,
    );
    await pushBranch(checkout, options.branch);
    options.progress.line(
      `reverted as ${revert.slice(0, 8)}: waiting for every cluster to return to last good`,
    );
    await requestReconcile(clusters);
    const back = await watchCommit(clusters, watchTargets(false), revert, deadline(options));
    return {
      deployId: options.deployId,
      commit,
      outcomes,
      revert,
      revertConverged: back.every((outcome) => outcome.state === 'ready'),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
