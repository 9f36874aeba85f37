import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readHelmRelease, readKustomization } from '../adapters/flux.js';
import { checkoutBranch, commitPaths, pushBranch, revertCommit } from '../adapters/git.js';
import { annotateObject, applyObjects } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { resolveSecrets } from '../deploy/secrets.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import { releaseKey } from '../model/release.js';
import type { Progress } from '../report/progress.js';
import { secretValuesObjects } from './bootstrap.js';
import { FLUX_API, FLUX_NAMESPACE } from './objects.js';
import { helmReleaseReadiness, type Readiness } from './readiness.js';
import { clusterFolder, renderEnvironment, type GitopsRelease } from './render.js';

const SYNC_NAME = 'regatta-fleet';
const POLL_MS = 1_000;
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
}

export interface TargetOutcome {
  release: string;
  cluster: string;
  state: Readiness['state'] | 'timeout';
  reason?: string;
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

/** Asks each cluster's Flux to fetch and apply now rather than at its next interval (what `flux reconcile` does). */
async function requestReconcile(clusters: readonly Cluster[]): Promise<void> {
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

/** Until the cluster's Kustomization applied `commit` (ok) or failed on it (its message). */
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

/** Every release of one cluster until each is ready or failed, or the deadline passes. */
async function watchCluster(
  cluster: Cluster,
  releases: readonly GitopsRelease[],
  commit: string,
  deadline: number,
  expectVersions: boolean,
): Promise<TargetOutcome[]> {
  const notApplied = await waitApplied(cluster, commit, deadline);
  if (notApplied) {
    return releases.map(({ release }) => ({
      release: releaseKey(release),
      cluster: cluster.name,
      state: Date.now() > deadline ? 'timeout' : 'failed',
      reason: notApplied,
    }));
  }
  return Promise.all(
    releases.map(async ({ release, origin }): Promise<TargetOutcome> => {
      for (;;) {
        const state = await readHelmRelease(kubeTarget(cluster), release.namespace, release.name);
        // After a revert, a release the failed commit added is gone (pruned): nothing to wait for.
        if (!state && !expectVersions)
          return { release: releaseKey(release), cluster: cluster.name, state: 'ready' };
        const readiness = helmReleaseReadiness(state, expectVersions ? { chartVersion: origin.version } : {});
        const base = { release: releaseKey(release), cluster: cluster.name };
        if (readiness.state === 'ready') return { ...base, state: 'ready' };
        if (readiness.state === 'failed') return { ...base, state: 'failed', reason: readiness.reason };
        if (Date.now() > deadline) return { ...base, state: 'timeout', reason: readiness.reason };
        await sleep(POLL_MS);
      }
    }),
  );
}

async function watchAll(
  options: GitopsDeployOptions,
  releases: readonly GitopsRelease[],
  commit: string,
  expectVersions: boolean,
): Promise<TargetOutcome[]> {
  const deadline = Date.now() + options.timeoutSeconds * 1000 + FLUX_APPLY_MARGIN_MS;
  const perCluster = await Promise.all(
    options.clusters.map((cluster) => watchCluster(cluster, releases, commit, deadline, expectVersions)),
  );
  return perCluster.flat();
}

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
  // Every secret is read before anything changes; each Secret exists before the commit that needs it.
  const secrets = await resolveSecrets(
    options.fleet,
    releases.map(({ release }) => ({ release, clusters })),
    options.env,
  );
  const files = renderEnvironment({
    environment,
    clusters,
    releases,
    timeoutSeconds: options.timeoutSeconds,
    sync: { url: options.repo, branch: options.branch },
  });
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(options.repo, options.branch, checkout);
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
      clusters.map((cluster) =>
        applyObjects(
          kubeTarget(cluster),
          secretValuesObjects(
            releases.map(({ release }) => release),
            cluster,
            secrets,
          ),
        ),
      ),
    );
    await pushBranch(checkout, options.branch);
    options.progress.line(`pushed ${commit.slice(0, 8)} to ${options.branch}: watching ${summary}`);
    await requestReconcile(clusters);
    const outcomes = await watchAll(options, releases, commit, true);
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
    const back = await watchAll(options, releases, revert, false);
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
