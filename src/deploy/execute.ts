import type { HelmBinary } from '../adapters/helm.js';
import { mapBounded } from '../concurrency.js';
import { DEPLOY_ID_LABEL, type Verdict } from '../model/helm-release.js';
import type { DeployReport, Outcome } from '../model/outcome.js';
import type { PlanEntry } from '../model/plan.js';
import { decideRemedy, rollbackCause, touched } from '../plan/remediation.js';
import type { Progress } from '../report/progress.js';
import type { TargetState } from '../model/events.js';
import { helmActions, type TargetActions } from './actions.js';
import type { PreparedDeploy } from './prepare.js';

export { DEPLOY_ID_LABEL };
export type { DeployReport, Outcome };

export interface ExecuteOptions {
  helm: HelmBinary;
  deployId: string;
  timeoutSeconds: number;
  rollbackTimeoutSeconds: number;
  /** How many releases × clusters at once. */
  concurrency: number;
  rollback: boolean;
  progress: Progress;
  /** Aborted on the first Ctrl-C / SIGTERM: no new target starts, and what was done is undone. */
  interrupt?: AbortSignal;
  /** Aborted when the fleet lock was taken by someone else: stop as on a failure. */
  lockLost?: AbortSignal;
  /** Receives the live outcomes, for a second signal to print where each target is. */
  onOutcomes?: (outcomes: readonly Outcome[]) => void;
  /** The wave these targets belong to (events carry it). */
  wave?: string;
}

const label = (entry: PlanEntry) =>
  `${entry.target.cluster} ${entry.target.release}.${entry.target.namespace}`;
const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
const seconds = (since: number) => (Date.now() - since) / 1000;

/** Why the run stopped early: a failed target, a signal, or a lost lock. */
class Stopped extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

interface Run {
  options: ExecuteOptions;
  actions: TargetActions;
  stop: AbortController;
}

/** Says what state a target is in now (one event per change). */
function say(run: Run, entry: PlanEntry, state: TargetState, detail?: string, revision?: number): void {
  run.options.progress.event({
    type: 'target',
    at: new Date().toISOString(),
    release: `${entry.target.release}.${entry.target.namespace}`,
    cluster: entry.target.cluster,
    wave: run.options.wave ?? 'all',
    state,
    ...(detail ? { detail } : {}),
    ...(revision === undefined ? {} : { revision }),
  });
}

/** Observe → act for one target: unlock what a killed helm left, then install or upgrade and wait. */
async function applyTarget(run: Run, outcome: Outcome): Promise<void> {
  const { entry } = outcome;
  const { options, actions, stop } = run;
  const started = Date.now();
  outcome.status = 'interrupted'; // until helm says otherwise: it has been started
  say(
    run,
    entry,
    'deploying',
    `${entry.action === 'install' ? 'installing' : 'upgrading'} ${entry.target.chartName} ${entry.target.chartVersion}`,
  );
  try {
    if (entry.unlock) {
      const { revision, status } = entry.unlock;
      await actions.unlock(
        entry,
        revision,
        `${status} left by a stopped helm; recovered by deploy ${options.deployId}`,
      );
      outcome.recovered = `revision ${revision} was ${status} (a helm was stopped): marked failed`;
      options.progress.line(`${label(entry)}: recovered: ${outcome.recovered}`);
      say(run, entry, 'deploying', `recovered: ${outcome.recovered}`);
    }
    outcome.revision = await actions.upgrade(entry, stop.signal);
    outcome.status = 'deployed';
  } catch (error) {
    if (stop.signal.aborted) {
      outcome.status = 'interrupted';
      outcome.error = `stopped: ${(stop.signal.reason as Stopped).why}`;
    } else {
      outcome.status = 'failed';
      outcome.error = firstLine(error);
      stop.abort(new Stopped(`${entry.target.cluster} failed`));
    }
  }
  outcome.seconds = seconds(started);
  outcome.timings = { upgrade: outcome.seconds };
  if (outcome.status === 'deployed')
    say(
      run,
      entry,
      'healthy',
      `deployed revision ${outcome.revision} in ${outcome.seconds.toFixed(1)}s`,
      outcome.revision,
    );
  else
    say(
      run,
      entry,
      outcome.status === 'failed' ? 'failed' : 'stopped',
      `${outcome.error} (${outcome.seconds.toFixed(1)}s)`,
    );
}

/** Records a verdict on revisions (best effort: a revision left undecided is never a rollback target). */
async function recordVerdict(run: Run, entry: PlanEntry, revisions: readonly number[], verdict: Verdict) {
  for (const revision of revisions) {
    try {
      await run.actions.label(entry, revision, verdict);
    } catch (error) {
      run.options.progress.line(
        `${label(entry)}: could not record revision ${revision} as ${verdict}: ${firstLine(error)}`,
      );
    }
  }
}

/** Observe → decide → act, to bring one touched target back to its last good revision. */
async function remediate(run: Run, outcome: Outcome): Promise<void> {
  const { entry } = outcome;
  const { options, actions } = run;
  const started = Date.now();
  try {
    const history = await actions.history(entry);
    const remedy = decideRemedy({
      deployId: options.deployId,
      history,
      previousRevision: outcome.previousRevision,
      wasAbsent: entry.action === 'install',
    });
    if (remedy.kind === 'none') {
      if (outcome.status !== 'failed') outcome.status = 'untouched';
      say(run, entry, outcome.status === 'failed' ? 'failed' : 'untouched', remedy.why);
      return;
    }
    if (remedy.kind === 'leave') {
      outcome.status = 'left-alone';
      outcome.rollbackError = remedy.why;
      say(run, entry, 'left-alone', `NOT rolled back: ${remedy.why}`);
      return;
    }
    if (remedy.unlock !== undefined)
      await actions.unlock(
        entry,
        remedy.unlock,
        `stopped by deploy ${options.deployId}; unlocked to roll back`,
      );
    if (remedy.kind === 'stuck') throw new Error(remedy.why);
    if (remedy.kind === 'uninstall') {
      say(run, entry, 'rolling-back', 'uninstalling (before this deploy it was not installed)');
      await actions.uninstall(entry);
      outcome.rolledBackTo = 0;
    } else {
      say(run, entry, 'rolling-back', `rolling back to revision ${remedy.to}`);
      await actions.rollback(entry, remedy.to);
      outcome.rolledBackTo = remedy.to;
    }
    outcome.status = 'rolled-back';
    const ours = history
      .filter((r) => r.labels[DEPLOY_ID_LABEL] === options.deployId && !r.description.startsWith('Rollback'))
      .map((r) => r.revision);
    if (remedy.kind === 'rollback') await recordVerdict(run, entry, ours, 'failed');
    say(
      run,
      entry,
      'rolled-back',
      `${remedy.kind === 'uninstall' ? 'uninstalled' : `back on revision ${remedy.to}`} in ${seconds(started).toFixed(1)}s`,
    );
  } catch (error) {
    outcome.status = 'rollback-failed';
    outcome.rollbackError = firstLine(error);
    say(run, entry, 'rollback-failed', `ROLLBACK FAILED: ${outcome.rollbackError}`);
  } finally {
    outcome.timings = { ...outcome.timings, rollback: seconds(started) };
  }
}

/**
 * Runs a plan. Every changed release × cluster is installed or upgraded (at most `concurrency` at
 * once), each waiting for its rollouts. After the first failure no new target starts and the
 * ones in flight are stopped (helm gets SIGTERM: it records its revision as failed, so the
 * rollback starts at once instead of after their timeouts); then one decision is made over all
 * outcomes: if anything failed or the run was interrupted, every target this deploy changed goes
 * back to its last good revision together. Success is recorded on the revisions (the verdict
 * label) only once every target is healthy.
 */
export async function executePlan(
  prepared: Pick<PreparedDeploy, 'plan'> & Partial<PreparedDeploy>,
  options: ExecuteOptions,
  actions: TargetActions = helmActions(prepared as PreparedDeploy, options),
): Promise<DeployReport> {
  const outcomes: Outcome[] = prepared.plan.entries.map((entry) => ({
    entry,
    status: entry.action === 'unchanged' ? 'unchanged' : 'untouched',
    previousRevision: entry.currentRevision,
    revision: entry.action === 'unchanged' ? entry.currentRevision : undefined,
    seconds: 0,
  }));
  options.onOutcomes?.(outcomes);
  const run: Run = { options, actions, stop: new AbortController() };
  const interrupted = () => options.interrupt?.aborted === true || options.lockLost?.aborted === true;
  const onInterrupt = () =>
    run.stop.abort(new Stopped(options.lockLost?.aborted ? 'the lock was lost' : 'interrupted'));
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  options.lockLost?.addEventListener('abort', onInterrupt, { once: true });
  if (interrupted()) onInterrupt();
  for (const outcome of outcomes)
    if (outcome.status === 'unchanged')
      say(run, outcome.entry, 'unchanged', `revision ${outcome.entry.currentRevision}`);
    else say(run, outcome.entry, 'waiting');
  try {
    await mapBounded(
      outcomes.filter((o) => o.status === 'untouched'),
      options.concurrency,
      async (outcome) => {
        if (run.stop.signal.aborted) return; // fail fast: nothing new starts
        await applyTarget(run, outcome);
      },
    );
  } finally {
    options.interrupt?.removeEventListener('abort', onInterrupt);
    options.lockLost?.removeEventListener('abort', onInterrupt);
  }
  const cause = rollbackCause(outcomes, interrupted());
  if (!cause) {
    await Promise.all(
      outcomes
        .filter((o) => o.status === 'deployed' && o.revision !== undefined)
        .map((o) => recordVerdict(run, o.entry, [o.revision!], 'good')),
    );
    return { deployId: options.deployId, outcomes, rolledBack: false };
  }
  if (!options.rollback) {
    await Promise.all(
      touched(outcomes)
        .filter((o) => o.revision !== undefined)
        .map((o) => recordVerdict(run, o.entry, [o.revision!], 'failed')),
    );
    return { deployId: options.deployId, outcomes, rolledBack: false, cause };
  }
  options.progress.line(
    cause === 'interrupt'
      ? 'interrupted: every cluster this deploy changed goes back to its last good revision (interrupt again to stop at once)'
      : 'a target failed: every cluster this deploy changed goes back to its last good revision',
  );
  await mapBounded(touched(outcomes), options.concurrency, (outcome) => remediate(run, outcome));
  return { deployId: options.deployId, outcomes, rolledBack: true, cause };
}
