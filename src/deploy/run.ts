import type { HelmBinary } from '../adapters/helm.js';
import { currentCommit } from '../adapters/git.js';
import type { Interrupts } from '../interrupts.js';
import type { Fleet } from '../model/fleet.js';
import { deployExitCode, type DeployReport, type Outcome } from '../model/outcome.js';
import { DeployError, InterruptedError, RollbackError, type RegattaError } from '../errors.js';
import type { Release } from '../model/release.js';
import { selectTargets, type Selection } from '../plan/select.js';
import type { Progress } from '../report/progress.js';
import { newDeployId } from './deploy-id.js';
import { executePlan } from './execute.js';
import { FleetLock } from './lock.js';
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
  /** Where each target stands now, for a second signal to print. */
  onOutcomes?: (outcomes: readonly Outcome[]) => void;
}

/**
 * A whole deploy: secrets from Vault first (any failure: nothing touched), every cluster checked,
 * the fleet lock taken, then observe → plan → execute (with its coordinated rollback), the
 * verdict recorded, the lock let go, Slack told.
 */
export async function runDeploy(options: DeployRunOptions): Promise<DeployReport> {
  const targets = selectTargets(options.fleet, options.releases, options.selection);
  const secrets = await resolveSecrets(options.fleet, targets, process.env);
  const deployId = newDeployId(await currentCommit(process.cwd()));
  let lock: FleetLock | undefined;
  let prepared: PreparedDeploy;
  try {
    prepared = await prepareDeploy({
      fleet: options.fleet,
      releases: options.releases,
      selection: options.selection,
      helm: options.helm,
      progress: options.progress,
      secrets,
      beforeObserve: async () => {
        lock = await FleetLock.acquire(
          targets.flatMap(({ release, clusters }) =>
            clusters.map((cluster) => ({ cluster, release: release.name, namespace: release.namespace })),
          ),
          { id: deployId, command: 'deploy', waitMs: options.waitForLockMs, progress: options.progress },
        );
      },
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  let report: DeployReport;
  try {
    options.progress.line(`deploy ${deployId}: ${prepared.plan.entries.length} release × cluster targets`);
    report = await executePlan(prepared, {
      helm: options.helm,
      deployId,
      timeoutSeconds: options.timeoutSeconds,
      rollbackTimeoutSeconds: options.rollbackTimeoutSeconds,
      concurrency: options.concurrency,
      rollback: options.rollback,
      progress: options.progress,
      interrupt: options.interrupts.signal,
      lockLost: lock?.lost,
      onOutcomes: options.onOutcomes,
    });
  } finally {
    await lock?.release();
  }
  await announce(options.fleet, deployAnnouncements(report, options.releases), options.progress);
  return report;
}

/** The error a finished deploy ends with, if any (exit 1, 3 or 130), naming what to do next. */
export function deployFailure(
  report: DeployReport,
  releases: readonly Release[],
  env?: string,
): RegattaError | undefined {
  const code = deployExitCode(report);
  if (code === 0) return undefined;
  const envFlag = env ? ` --env ${env}` : '';
  if (code === 3) {
    const stuck = report.outcomes.filter((o) => o.status === 'rollback-failed');
    const clusters = [...new Set(stuck.map((o) => o.entry.target.cluster))];
    const names = [...new Set(stuck.map((o) => `${o.entry.target.release}.${o.entry.target.namespace}`))];
    return new RollbackError(
      `deploy ${report.deployId} failed and ${clusters.join(', ')} could not be brought back to last good: ${clusters.length === 1 ? 'it needs' : 'they need'} attention`,
      {
        hint: `once ${clusters.length === 1 ? 'it answers' : 'they answer'}, run ${names.map((n) => `\`regatta recover ${n}${envFlag}\``).join(', ')} (or deploy again)`,
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
