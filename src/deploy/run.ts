import type { HelmBinary } from '../adapters/helm.js';
import { currentCommit } from '../adapters/git.js';
import type { Interrupts } from '../interrupts.js';
import type { Fleet } from '../model/fleet.js';
import { deployExitCode, type DeployReport, type Outcome } from '../model/outcome.js';
import { DeployError, InterruptedError, RollbackError, UserError, type RegattaError } from '../errors.js';
import type { Release } from '../model/release.js';
import { selectTargets, type Selection } from '../plan/select.js';
import type { Progress } from '../report/progress.js';
import { newDeployId } from './deploy-id.js';
import { DeployExecution } from './execute.js';
import { helmActions } from './actions.js';
import { realGates } from './gates.js';
import { runWaves } from './waves.js';
import { checkWaveName, planWaves } from '../plan/waves.js';
import { mayGoWithoutLock } from '../plan/noop.js';
import type { PlanEntry } from '../model/plan.js';
import { FleetLock } from './lock.js';
import { Namespaces } from './namespaces.js';
import { announce, deployAnnouncements } from './notify.js';
import { prepareDeploy, type PreparedDeploy } from './prepare.js';
import { resolveSecrets } from './secrets.js';

export interface DeployRunOptions {
  fleet: Fleet;
  releases: Release[];
  selection: Selection;
  helm: HelmBinary;
  progress: Progress;
  timeoutSeconds: number;
  rollbackTimeoutSeconds: number;
  concurrency: number;
  rollback: boolean;
  waitForLockMs: number;
  interrupts: Interrupts;
  /** `--wave NAME`: only that wave's clusters. */
  onlyWave?: string;
  /** `--skip-gates`: no soak, checks, helm test or approval. */
  skipGates: boolean;
  /** `--resume ID`: go on with a deploy paused at a manual approval. */
  resume?: string;
  /** Where each target stands now, for a second signal to print. */
  onOutcomes?: (outcomes: readonly Outcome[]) => void;
}

/** Emergency options, printed loudly and kept on every revision the deploy makes. */
function emergencies(options: DeployRunOptions): string[] {
  return [
    ...(options.skipGates ? ['skip-gates'] : []),
    ...(options.onlyWave ? [`wave.${options.onlyWave}`] : []),
  ];
}

/**
 * A whole deploy: secrets from Vault first (any failure: nothing touched), every cluster checked,
 * the fleet lock taken, then observe → plan → waves (each: apply, then its gates) → one
 * decision: the verdict recorded, or every cluster of waves 1…k back on last good. The lock is
 * let go — or kept, when the deploy pauses at a manual approval — and Slack is told.
 */
export async function runDeploy(options: DeployRunOptions): Promise<DeployReport> {
  const targets = selectTargets(options.fleet, options.releases, options.selection);
  if (options.onlyWave !== undefined) checkWaveName(options.onlyWave, options.releases, options.fleet);
  const secrets = await resolveSecrets(options.fleet, targets, process.env);
  const deployId = options.resume ?? newDeployId(await currentCommit(process.cwd()));
  const emergency = emergencies(options);
  for (const option of emergency)
    options.progress.line(
      `WARNING: emergency option ${option}: gates or waves are bypassed; recorded in this deploy's history`,
    );
  const wavesOf = (candidate: PreparedDeploy) =>
    planWaves(candidate.plan, options.releases, options.fleet, {
      only: options.onlyWave,
      skipGates: options.skipGates,
    });
  let lock: FleetLock | undefined;
  const namespaces = new Namespaces();
  let prepared: PreparedDeploy;
  try {
    prepared = await prepareDeploy({
      fleet: options.fleet,
      releases: options.releases,
      selection: options.selection,
      helm: options.helm,
      progress: options.progress,
      secrets,
      // A deploy that would change nothing may go without its lock (plan/noop.ts says when).
      withoutLock: async (candidate, unchangedSince) =>
        mayGoWithoutLock(candidate.plan, wavesOf(candidate), options.resume) && (await unchangedSince()),
      beforeObserve: async () => {
        lock = await FleetLock.acquire(
          targets.flatMap(({ release, clusters }) =>
            clusters.map((cluster) => ({ cluster, release: release.name, namespace: release.namespace })),
          ),
          {
            id: deployId,
            command: 'deploy',
            waitMs: options.waitForLockMs,
            progress: options.progress,
            namespaces,
          },
        );
        if (options.resume && !lock.pausedBefore)
          throw new UserError(`deploy ${options.resume} is not paused: no lock of it is held`, {
            hint: '`regatta status` shows paused deploys; pass the same release files as the paused deploy',
          });
      },
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const waves = wavesOf(prepared);
  // A resumed deploy: what it deployed before its pause is its own, to roll back if it fails.
  const resumed = new Map<PlanEntry, number>();
  for (const entry of prepared.plan.entries)
    if (options.resume && entry.currentDeployId === options.resume && entry.currentRevision !== undefined)
      resumed.set(entry, entry.currentRevision);
  let report: DeployReport | undefined;
  try {
    options.progress.line(`deploy ${deployId}: ${prepared.plan.entries.length} release × cluster targets`);
    options.progress.event({
      type: 'deploy',
      at: new Date().toISOString(),
      deployId,
      waves: waves.map((w) => ({ name: w.name, clusters: w.clusters })),
      releases: [...new Set(prepared.plan.entries.map((e) => `${e.target.release}.${e.target.namespace}`))],
    });
    const executeOptions = {
      helm: options.helm,
      deployId,
      timeoutSeconds: options.timeoutSeconds,
      rollbackTimeoutSeconds: options.rollbackTimeoutSeconds,
      concurrency: options.concurrency,
      rollback: options.rollback,
      progress: options.progress,
      interrupt: options.interrupts.signal,
      lockLost: lock?.lost,
      silence: lock?.silence,
      onOutcomes: options.onOutcomes,
      emergency: emergency.length > 0 ? emergency.join('_') : undefined,
      planTimings: prepared.timings,
      namespaces,
    };
    const execution = new DeployExecution(
      waves.flatMap((w) => w.entries),
      executeOptions,
      helmActions(prepared, executeOptions),
      resumed,
    );
    const gates = realGates({
      clusters: prepared.clusters,
      helm: options.helm,
      deployId,
      fleetFile: options.fleet.file,
      timeoutSeconds: options.timeoutSeconds,
    });
    const { pausedBefore, states } = await runWaves(execution, waves, {
      progress: options.progress,
      gates,
      resumeBefore: lock?.pausedBefore,
    });
    if (pausedBefore) {
      execution.dispose();
      await lock?.pause(pausedBefore);
      lock = undefined;
      report = {
        deployId,
        outcomes: execution.outcomes,
        rolledBack: false,
        waves: states,
        pausedBefore,
        emergency,
      };
    } else {
      report = { ...(await execution.finish()), waves: states, emergency };
    }
  } finally {
    await lock?.release(report?.silent);
  }
  summarize(report, options.progress);
  await announce(options.fleet, deployAnnouncements(report, options.releases), options.progress);
  return report;
}

/** The closing event: what the deploy came to. */
function summarize(report: DeployReport, progress: Progress): void {
  const exitCode = deployExitCode(report);
  const result = report.pausedBefore
    ? 'paused'
    : exitCode === 0
      ? 'succeeded'
      : exitCode === 3
        ? 'rollback-failed'
        : exitCode === 130
          ? 'interrupted'
          : 'failed';
  progress.event({
    type: 'summary',
    at: new Date().toISOString(),
    deployId: report.deployId,
    result,
    exitCode,
    ...(report.wave ? { failedWave: report.wave } : {}),
    ...(report.reason ? { reason: report.reason } : {}),
  });
}

/** The error a finished deploy ends with, if any (exit 1, 3 or 130), naming what to do next. */
export function deployFailure(
  report: DeployReport,
  releases: readonly Release[],
  env?: string,
): RegattaError | undefined {
  const code = deployExitCode(report);
  if (code === 0) return undefined;
  if (code === 3) {
    const stuck = report.outcomes.filter((o) => o.status === 'rollback-failed');
    const clusters = [...new Set(stuck.map((o) => o.entry.target.cluster))];
    const names = [
      ...new Set(
        stuck.map(
          (o) =>
            `${o.entry.target.release}.${o.entry.target.namespace} --env ${env ?? o.entry.target.environment}`,
        ),
      ),
    ];
    return new RollbackError(
      `deploy ${report.deployId} failed and ${clusters.join(', ')} could not be brought back to last good: ${clusters.length === 1 ? 'it needs' : 'they need'} attention`,
      {
        hint: `once ${clusters.length === 1 ? 'it answers' : 'they answer'}, run ${names.map((n) => `\`regatta recover ${n}\``).join(', ')} (or deploy again)`,
      },
    );
  }
  if (code === 130)
    return new InterruptedError(
      `deploy ${report.deployId} interrupted; every cluster it changed is back on its last good revision`,
    );
  const left = report.outcomes.filter((o) => o.status === 'left-alone');
  return new DeployError(
    report.rolledBack
      ? `deploy ${report.deployId} failed; every cluster it changed is back on its last good revision${left.length ? ` (except where someone else deployed since: ${left.map((o) => o.entry.target.cluster).join(', ')})` : ''}`
      : `deploy ${report.deployId} failed (not rolled back: --no-rollback)`,
    { hint: releases.length > 0 ? 'the table above says what failed where' : undefined },
  );
}
