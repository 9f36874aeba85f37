import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BranchMovedError,
  checkoutBranch,
  commitEmpty,
  commitPaths,
  logCommits,
  pendingChanges,
  pushBranch,
  revertCommits,
  RevertConflictError,
} from '../adapters/git.js';
import { applyObjects } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import { releaseKey } from '../model/release.js';
import type { Progress } from '../report/progress.js';
import { writeFolders } from './checkout.js';
import { clusterFolder, type GitopsRelease } from './render.js';
import type { SecretsDelivery } from './external-secrets.js';
import { deployCommits, gitopsHistory, pausedDeploy } from './history.js';
import { removeUnneededSecrets, SECRET_REVISIONS_KEPT } from './secret-versions.js';
import { configDigestOf, desiredTree, readSecrets } from './tree.js';
import { requestReconcile, watchCommit, type TargetOutcome, type WatchTarget } from './watch.js';
import type { GateActions } from '../deploy/gates.js';
import { passGates } from '../deploy/waves.js';
import type { PlannedWave } from '../plan/waves.js';

/** On top of helm's own timeout: for Flux to fetch the commit, apply it and start the upgrade. */
const FLUX_APPLY_MARGIN_MS = 120_000;

export interface GitopsDeployOptions {
  fleet: Fleet;
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly GitopsRelease[];
  /** The deploy's waves over whole clusters (see gitops/waves.ts), in order. */
  waves: readonly PlannedWave[];
  gates: GateActions;
  repo: string;
  branch: string;
  deployId: string;
  /** Helm's wait for each rollout (HelmRelease spec.timeout). */
  timeoutSeconds: number;
  env: NodeJS.ProcessEnv;
  progress: Progress;
  /** Default: Regatta reads Vault and creates the (versioned) Secrets the HelmReleases read. */
  secrets?: SecretsDelivery;
  /** Aborted by a signal: the deploy stops where it is and reverts what it committed. */
  interrupt?: AbortSignal;
  /**
   * `deploy --resume`: deploy `deployId`, paused on the branch at a manual approval, goes on from
   * that wave (its approval given). Its earlier commits must hold what these files render.
   */
  resume?: boolean;
}

export interface GitopsWaveReport {
  name: string;
  clusters: string[];
  state: 'done' | 'failed' | 'unchanged' | 'not-started' | 'paused-before';
  /** The wave's commit (absent: its folders already held this state, or it never started). */
  commit?: string;
  reason?: string;
}

export interface GitopsDeployReport {
  deployId: string;
  waves: GitopsWaveReport[];
  outcomes: TargetOutcome[];
  /** What stopped the deploy: a target, a gate, or a signal. */
  failure?: { wave: string; reason: string };
  /** The revert commit of every wave commit, when the deploy failed after committing. */
  revert?: string;
  /** After a revert: whether every cluster was back on a Ready release within the timeout. */
  revertConverged?: boolean;
  /** Why the deploy's commits could not be reverted (the branch changed the same files since). */
  revertError?: string;
  /** Paused at a manual approval before this wave (an empty commit records it). */
  pausedBefore?: string;
}

export const deadline = (options: { timeoutSeconds: number }) =>
  Date.now() + options.timeoutSeconds * 1000 + FLUX_APPLY_MARGIN_MS;

/**
 * Reverts a deploy's wave commits (oldest first) in one commit, pushes it, and watches the
 * clusters they touched until each is Ready again on the revert.
 */
export async function revertDeploy(options: {
  checkout: string;
  branch: string;
  deployId: string;
  environment: Environment;
  commits: readonly string[];
  clusters: readonly Cluster[];
  /** The revert's subject (after the deploy id), then its body. */
  why: string;
  targetsOf: (cluster: Cluster) => WatchTarget[];
  timeoutSeconds: number;
  progress: Progress;
}): Promise<{ revert?: string; revertConverged: boolean; revertError?: string }> {
  const { checkout, commits, clusters } = options;
  let revert: string;
  try {
    await revertCommits(
      checkout,
      [...commits].reverse(),
      `regatta revert ${options.deployId}: ${options.why}\n\n` +
        `This reverts ${commits.map((c) => `commit ${c}`).join(', ')}.\n` +
        `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\n`,
    );
    revert = await pushBranch(checkout, options.branch);
  } catch (error) {
    // Someone changed the same files after our commits: git cannot undo ours on top of theirs.
    if (!(error instanceof BranchMovedError || error instanceof RevertConflictError)) throw error;
    return { revertConverged: false, revertError: error.message };
  }
  options.progress.line(
    `reverted as ${revert.slice(0, 8)}: waiting for ${clusters.map((c) => c.name).join(', ')} to return to last good`,
  );
  await requestReconcile(clusters);
  const back = await watchCommit(clusters, options.targetsOf, revert, deadline(options));
  return { revert, revertConverged: back.every((outcome) => outcome.state === 'ready') };
}

/**
 * Once every wave is done: the versioned Secrets no revision needs any more are removed. The
 * deploy has succeeded by then, so a failure here is a warning, never a revert.
 */
async function removeOldSecrets(
  options: GitopsDeployOptions,
  checkout: string,
  releases: readonly GitopsRelease[],
  startedAt: number,
): Promise<void> {
  try {
    const removed = await removeUnneededSecrets({
      checkout,
      releases: releases.map(({ release }) => release),
      clusters: options.clusters,
      deployId: options.deployId,
      branch: options.branch,
      startedAt,
    });
    if (removed.length > 0)
      options.progress.line(
        `removed ${removed.length} Secret(s) no revision of the last ${SECRET_REVISIONS_KEPT} reads: ${removed.map((r) => `${r.name}@${r.cluster}`).join(', ')}`,
      );
  } catch (error) {
    options.progress.line(`WARNING: old secret values were not cleaned up: ${(error as Error).message}`);
  }
}

/** The commit message of one wave: the deploy id and environment on its first line, for `rollback --to`. */
function waveMessage(options: GitopsDeployOptions, wave: PlannedWave, index: number): string {
  const of = options.waves.length > 1 ? `, wave ${wave.name} (${index + 1}/${options.waves.length})` : '';
  const releases = new Set(wave.entries.map((e) => `${e.target.release}.${e.target.namespace}`)).size;
  return (
    `regatta deploy ${options.deployId}: ${options.environment.name}${of}, ${releases} releases × ${wave.clusters.length} clusters\n\n` +
    `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\nRegatta-Wave: ${wave.name}\n`
  );
}

/** The empty commit that records an approval: `deploy --resume` goes on from that wave. */
function resumeMessage(options: GitopsDeployOptions, wave: PlannedWave): string {
  return (
    `regatta resume ${options.deployId}: ${options.environment.name}, approved before wave ${wave.name}\n\n` +
    `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\nRegatta-Approved-Before: ${wave.name}\n`
  );
}

/** A push the branch refused for good, as a value: the deploy fails there and reverts what it pushed. */
const branchMoved = (error: unknown): BranchMovedError => {
  if (error instanceof BranchMovedError) return error;
  throw error;
};

/** The empty commit that records a pause at a manual approval: who, when, and which wave waits. */
function pauseMessage(options: GitopsDeployOptions, wave: PlannedWave): string {
  return (
    `regatta pause ${options.deployId}: ${options.environment.name}, waiting for approval before wave ${wave.name}\n\n` +
    `Resume: regatta deploy --resume ${options.deployId} (the same release files); undo: regatta abort ${options.deployId}\n\n` +
    `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\nRegatta-Paused-Before: ${wave.name}\n`
  );
}

/**
 * Pure: which wave a deploy starts at, given the branch's history. A deploy paused at an approval
 * holds the branch: a new deploy is refused until it is resumed or aborted (as the helm engine's
 * paused deploy keeps its lock); a resume must name the paused deploy and a wave this plan has.
 */
export function startingWave(
  history: Parameters<typeof pausedDeploy>[0],
  waves: readonly PlannedWave[],
  request: { deployId: string; resume: boolean; branch: string; environment: string },
): number {
  const paused = pausedDeploy(history, request.environment);
  if (!request.resume) {
    if (paused)
      throw new UserError(
        `deploy ${paused.deployId} is paused before wave ${paused.wave} on ${request.branch} (${paused.author}, ${paused.date})`,
        {
          hint: `approve it with regatta deploy --resume ${paused.deployId}, or undo it with regatta abort ${paused.deployId}`,
        },
      );
    return 0;
  }
  if (paused?.deployId !== request.deployId)
    throw new UserError(`deploy ${request.deployId} is not paused on ${request.branch}`, {
      hint: paused
        ? `the paused deploy is ${paused.deployId}`
        : 'see regatta history: its resume or its revert (abort, failure) ended it',
    });
  const index = waves.findIndex((wave) => wave.name === paused.wave);
  if (index < 0)
    throw new UserError(
      `deploy ${request.deployId} paused before wave ${paused.wave}, which these files do not have`,
      {
        hint: 'resume with the same release files and fleet file, or regatta abort it',
      },
    );
  return index;
}

/**
 * Pure: whether the deploy pauses before this wave — a wave behind an approval, always, but the
 * one a resume starts at (its approval is the resume). Even the first wave of a selection.
 */
export function waitsForApproval(
  wave: PlannedWave,
  index: number,
  at: { start: number; resume: boolean },
): boolean {
  return wave.approval && !(at.resume && index === at.start);
}

/**
 * A Flux environment's deploy, wave by wave: each wave's cluster folders are rendered, committed
 * and pushed; each of those clusters' Flux applies them, and every HelmRelease is watched until
 * Flux reports it Ready for that very commit; then the wave's gates. The next wave is committed
 * only once they pass. On any failure — a target, a gate, a timeout, a signal — later waves are
 * never committed and every wave commit is reverted in one commit, so every cluster of waves
 * 1…k returns to last good together and the git log tells who, which deploy, which wave, and why.
 */
export async function gitopsDeploy(options: GitopsDeployOptions): Promise<GitopsDeployReport> {
  const { environment, clusters } = options;
  if (environment.engine !== 'flux')
    throw new UserError(`environment ${environment.name} is deployed by helm, not Flux`, {
      position: { file: options.fleet.file },
      hint: `set environments.${environment.name}.engine: flux, or use regatta deploy`,
    });
  const releases = options.releases.filter(({ release }) => release.environment === environment.name);
  const startedAt = Date.now();
  // Every secret is read before anything changes (each Secret exists before the commit that needs it).
  const secrets = await readSecrets(options, releases);
  const stop = new AbortController();
  let failure: { wave: string; reason: string } | undefined;
  const fail = (wave: string, reason: string) => {
    failure ??= { wave, reason };
    stop.abort();
  };
  const gated = { stopSignal: stop.signal, failGate: fail };
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  const waves: GitopsWaveReport[] = options.waves.map((w) => ({
    name: w.name,
    clusters: w.clusters,
    state: 'not-started',
  }));
  const outcomes: TargetOutcome[] = [];
  /** This deploy's wave commits, oldest first (a resumed deploy's earlier ones included). */
  const commits: string[] = [];
  const onInterrupt = () => fail(waves.find((w) => w.state === 'not-started')?.name ?? 'all', 'interrupted');
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(options.repo, options.branch, checkout);
    const { versioned, files } = await desiredTree({
      ...options,
      releases,
      checkout,
      secrets,
      secretsDelivery: options.secrets,
    });
    const history = gitopsHistory(await logCommits(checkout));
    const start = startingWave(history, options.waves, {
      deployId: options.deployId,
      resume: !!options.resume,
      branch: options.branch,
      environment: environment.name,
    });
    const earlier = deployCommits(history, options.deployId);
    for (const [index, wave] of options.waves.slice(0, start).entries()) {
      const report = waves[index]!;
      const commit = earlier.find((entry) => entry.wave === wave.name)?.commit;
      report.state = commit ? 'done' : 'unchanged';
      if (commit) report.commit = commit;
      // A resume goes on with the same release files: the waves already committed must be unchanged.
      writeFolders(checkout, files, wave.clusters.map(clusterFolder));
      const changed = await pendingChanges(checkout, wave.clusters.map(clusterFolder));
      if (changed.files.length > 0)
        throw new UserError(
          `these files render wave ${wave.name} differently from what deploy ${options.deployId} committed (${changed.files.map((f) => f.path).join(', ')})`,
          {
            hint: `resume with the release and fleet files of deploy ${options.deployId}, or regatta abort ${options.deployId}`,
          },
        );
    }
    commits.push(...earlier.map((entry) => entry.commit).reverse());
    if (options.resume) {
      // The approval, recorded: who gave it and when. It also ends the pause.
      await commitEmpty(checkout, resumeMessage(options, options.waves[start]!));
      const resumed = await pushBranch(checkout, options.branch).catch(branchMoved);
      if (resumed instanceof BranchMovedError) fail(options.waves[start]!.name, resumed.message);
    }
    const byName = new Map(clusters.map((c) => [c.name, c]));
    const digestOf = configDigestOf(secrets);
    const targetsOf = (cluster: Cluster): WatchTarget[] =>
      releases
        .filter(({ release }) => release.environment === cluster.env)
        .map((entry) => ({
          key: releaseKey(entry.release),
          namespace: entry.release.namespace,
          name: entry.release.name,
          chartVersion: entry.origin.version,
          configDigest: digestOf(entry, cluster),
        }));
    for (const [index, wave] of options.waves.entries()) {
      if (index < start) continue;
      if (stop.signal.aborted) break;
      const report = waves[index]!;
      if (waitsForApproval(wave, index, { start, resume: !!options.resume })) {
        // A manual approval: git records the pause; `--resume` or `abort` (from any machine) ends it.
        await commitEmpty(checkout, pauseMessage(options, wave));
        const paused = await pushBranch(checkout, options.branch).catch(branchMoved);
        if (paused instanceof BranchMovedError) {
          fail(wave.name, paused.message);
          break;
        }
        report.state = 'paused-before';
        options.progress.line(`paused before wave ${wave.name}: waiting for approval`);
        return { deployId: options.deployId, waves, outcomes, pausedBefore: wave.name };
      }
      const waveClusters = wave.clusters.map((name) => byName.get(name)!);
      const folders = wave.clusters.map(clusterFolder);
      writeFolders(checkout, files, folders);
      const commit = await commitPaths(checkout, folders, waveMessage(options, wave, index));
      if (!commit) {
        report.state = 'unchanged';
        options.progress.line(`wave ${wave.name}: ${options.branch} already holds this state`);
        continue;
      }
      await Promise.all(
        waveClusters.map((cluster) =>
          applyObjects(kubeTarget(cluster), versioned.objects.get(cluster.name) ?? []),
        ),
      );
      // Replayed on top when the branch moved meanwhile: the commit pushed is the one to watch.
      const pushed = await pushBranch(checkout, options.branch).catch(branchMoved);
      if (pushed instanceof BranchMovedError) {
        fail(wave.name, pushed.message);
        report.state = 'failed';
        report.reason = pushed.message;
        break;
      }
      commits.push(pushed);
      report.commit = pushed;
      options.progress.line(
        `wave ${wave.name}: pushed ${pushed.slice(0, 8)} to ${options.branch}; watching ${wave.clusters.join(', ')}`,
      );
      await requestReconcile(waveClusters);
      const seen = await watchCommit(waveClusters, targetsOf, pushed, deadline(options), stop.signal);
      outcomes.push(...seen);
      const failed = seen.filter((outcome) => outcome.state !== 'ready');
      if (failed.length > 0)
        fail(
          wave.name,
          failed
            .map((f) => `${f.release}@${f.cluster}: ${f.state}${f.reason ? ` (${f.reason})` : ''}`)
            .join('; '),
        );
      if (!stop.signal.aborted) await passGates(gated, wave, options);
      report.state = stop.signal.aborted ? 'failed' : 'done';
      if (failure) report.reason = failure.reason;
    }
    if (!failure && secrets) await removeOldSecrets(options, checkout, releases, startedAt);
    if (!failure || commits.length === 0) return { deployId: options.deployId, waves, outcomes, failure };

    const touched = options.waves
      .filter((_, index) => waves[index]!.commit)
      .flatMap((wave) => wave.clusters.map((name) => byName.get(name)!));
    const reverted = await revertDeploy({
      ...options,
      checkout,
      commits,
      clusters: touched,
      why: `wave ${failure.wave} failed\n\n${failure.reason}`,
      // Back to last good: whatever chart and values it had.
      targetsOf: (cluster) =>
        targetsOf(cluster).map(({ chartVersion: _, configDigest: __, ...target }) => ({
          ...target,
          absentIsDone: true,
        })),
    });
    return { deployId: options.deployId, waves, outcomes, failure, ...reverted };
  } finally {
    options.interrupt?.removeEventListener('abort', onInterrupt);
    rmSync(work, { recursive: true, force: true });
  }
}
