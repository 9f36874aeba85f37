import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkoutBranch, commitPaths, pushBranch, revertCommits } from '../adapters/git.js';
import { applyObjects } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import { releaseKey } from '../model/release.js';
import type { Progress } from '../report/progress.js';
import { clusterFolder, type GitopsRelease } from './render.js';
import type { SecretsDelivery } from './external-secrets.js';
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
}

export interface GitopsWaveReport {
  name: string;
  clusters: string[];
  state: 'done' | 'failed' | 'unchanged' | 'not-started';
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
}

export const deadline = (options: { timeoutSeconds: number }) =>
  Date.now() + options.timeoutSeconds * 1000 + FLUX_APPLY_MARGIN_MS;

/** The commit message of one wave: the deploy id and environment on its first line, for `rollback --to`. */
function waveMessage(options: GitopsDeployOptions, wave: PlannedWave, index: number): string {
  const of = options.waves.length > 1 ? `, wave ${wave.name} (${index + 1}/${options.waves.length})` : '';
  const releases = new Set(wave.entries.map((e) => `${e.target.release}.${e.target.namespace}`)).size;
  return (
    `regatta deploy ${options.deployId}: ${options.environment.name}${of}, ${releases} releases × ${wave.clusters.length} clusters\n\n` +
    `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${options.environment.name}\nRegatta-Wave: ${wave.name}\n`
  );
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
      if (stop.signal.aborted) break;
      const report = waves[index]!;
      const waveClusters = wave.clusters.map((name) => byName.get(name)!);
      const folders = wave.clusters.map(clusterFolder);
      for (const folder of folders) rmSync(join(checkout, folder), { recursive: true, force: true });
      for (const file of files.filter((f) => folders.some((folder) => f.path.startsWith(`${folder}/`)))) {
        mkdirSync(dirname(join(checkout, file.path)), { recursive: true });
        writeFileSync(join(checkout, file.path), file.content);
      }
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
      await pushBranch(checkout, options.branch);
      commits.push(commit);
      report.commit = commit;
      options.progress.line(
        `wave ${wave.name}: pushed ${commit.slice(0, 8)} to ${options.branch}; watching ${wave.clusters.join(', ')}`,
      );
      await requestReconcile(waveClusters);
      const seen = await watchCommit(waveClusters, targetsOf, commit, deadline(options), stop.signal);
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
    if (!failure || commits.length === 0) return { deployId: options.deployId, waves, outcomes, failure };

    const touched = options.waves
      .filter((_, index) => waves[index]!.commit)
      .flatMap((wave) => wave.clusters.map((name) => byName.get(name)!));
    const revert = await revertCommits(
      checkout,
      [...commits].reverse(),
      `regatta revert ${options.deployId}: wave ${failure.wave} failed\n\n${failure.reason}\n\n` +
        `This reverts ${commits.map((c) => `commit ${c}`).join(', ')}.\n` +
        `Regatta-Deploy-Id: ${options.deployId}\nRegatta-Environment: ${environment.name}\n`,
    );
    await pushBranch(checkout, options.branch);
    options.progress.line(
      `reverted as ${revert.slice(0, 8)}: waiting for ${touched.map((c) => c.name).join(', ')} to return to last good`,
    );
    await requestReconcile(touched);
    const back = await watchCommit(
      touched,
      (cluster) =>
        targetsOf(cluster).map(({ chartVersion: _, configDigest: __, ...target }) => ({
          ...target,
          absentIsDone: true,
        })),
      revert,
      deadline(options),
    );
    return {
      deployId: options.deployId,
      waves,
      outcomes,
      failure,
      revert,
      revertConverged: back.every((outcome) => outcome.state === 'ready'),
    };
  } finally {
    options.interrupt?.removeEventListener('abort', onInterrupt);
    rmSync(work, { recursive: true, force: true });
  }
}
