import { setMaxListeners } from 'node:events';
import type { HelmBinary } from '../adapters/helm.js';
import { limiter, mapBounded } from '../concurrency.js';
import { DEPLOY_ID_LABEL, type Verdict } from '../model/helm-release.js';
import type { DeployReport, Outcome, RollbackCause, TargetTimings } from '../model/outcome.js';
import type { PlanEntry } from '../model/plan.js';
import { decideRemedy, rollbackCause, touched } from '../plan/remediation.js';
import type { Progress } from '../report/progress.js';
import type { TargetState } from '../model/events.js';
import { isNoAnswer } from '../adapters/transient.js';
import { helmActions, type TargetActions } from './actions.js';
import type { ClusterSilence } from './lock.js';
import { targetKey, type PreparedDeploy } from './prepare.js';

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
  /**
   * Where the run hears that a cluster stopped answering (the fleet lock's heartbeat): if the
   * deploy still has work in flight or to come there, it fails then, rather than when helm's
   * --timeout runs out there.
   */
  silence?: ClusterSilence;
  /** Receives the live outcomes, for a second signal to print where each target is. */
  onOutcomes?: (outcomes: readonly Outcome[]) => void;
  /** The wave these targets belong to (events carry it). */
  wave?: string;
  /** The emergency options it runs with, recorded on every revision it makes. */
  emergency?: string;
  /** Per target (prepare.ts's targetKey): what observing and rendering it took. */
  planTimings?: ReadonlyMap<string, TargetTimings>;
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
    outcome.revision = await actions.upgrade(entry, stop.signal, (phase, took) => {
      outcome.timings = { ...outcome.timings, [phase]: took };
    });
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

/**
 * Whether the clusters to bring targets back in answer. A cluster there is reason to doubt (its
 * heartbeat got no answer, or a target there failed for want of one) is asked once (10 s), and
 * its targets share the answer: one that stopped answering is given up on in seconds, all its
 * targets at once, instead of each target's retries spending request timeouts one after another.
 * Any other cluster is not asked: its steps retry as they always do.
 */
class ClusterReach {
  /** Per cluster: its answer, when it was asked for, and whether it was that it does not answer. */
  private readonly answers = new Map<string, { answer: Promise<void>; askedAt: number; failed?: true }>();
  /** Per cluster: its targets not yet begun. */
  private readonly toBegin = new Map<string, number>();
  private readonly silentClusters = new Set<string>();

  constructor(
    private readonly actions: TargetActions,
    private readonly doubted: ReadonlySet<string>,
    outcomes: readonly Outcome[],
  ) {
    for (const { entry } of outcomes)
      this.toBegin.set(entry.target.cluster, (this.toBegin.get(entry.target.cluster) ?? 0) + 1);
  }

  /**
   * The cluster's answer, as one of its targets begins: asked now if in doubt and not yet asked,
   * or asked again if it did not answer a while ago (targets begun much later, at a low
   * --concurrency, are not given up on for a silence long over).
   */
  check(entry: PlanEntry, deadline: number): Promise<void> {
    const cluster = entry.target.cluster;
    this.toBegin.set(cluster, (this.toBegin.get(cluster) ?? 1) - 1);
    const known = this.answers.get(cluster);
    if (known && !(known.failed && Date.now() - known.askedAt > ASK_AGAIN_AFTER_MS)) return known.answer;
    return known || this.doubted.has(cluster)
      ? this.ask(entry, deadline)
      : this.remember(cluster, Promise.resolve());
  }

  /**
   * A request there went unanswered after `answered` said to go on: the cluster is asked, once
   * for all its targets still to begin (a request cut by a deadline may only have been slow).
   */
  askAgain(entry: PlanEntry, answered: Promise<void>, deadline: number): void {
    const cluster = entry.target.cluster;
    if (this.answers.get(cluster)?.answer === answered && (this.toBegin.get(cluster) ?? 0) > 0)
      void this.ask(entry, deadline); // awaited by the targets to come
  }

  /** The clusters found not answering (and not answering since). */
  get silent(): string[] {
    return [...this.silentClusters];
  }

  private ask(entry: PlanEntry, deadline: number): Promise<void> {
    const cluster = entry.target.cluster;
    const known = this.remember(cluster, this.actions.reach(entry, deadline));
    known.then(
      () => this.silentClusters.delete(cluster),
      (error: unknown) => {
        const remembered = this.answers.get(cluster);
        if (remembered?.answer === known) remembered.failed = true;
        if (isNoAnswer(error)) this.silentClusters.add(cluster);
      },
    );
    return known;
  }

  private remember(cluster: string, answer: Promise<void>): Promise<void> {
    this.answers.set(cluster, { answer, askedAt: Date.now() });
    return answer;
  }
}

/** A cluster found not to answer is asked again for targets that begin this long after it was asked. */
const ASK_AGAIN_AFTER_MS = 30_000;

/** Observe → decide → act, to bring one touched target back to its last good revision. */
async function remediate(run: Run, outcome: Outcome, reach: ClusterReach): Promise<void> {
  const { entry } = outcome;
  const { options, actions } = run;
  const started = Date.now();
  // --rollback-timeout bounds all of it: a cluster that stopped answering is given up on then.
  const deadline = started + options.rollbackTimeoutSeconds * 1000;
  // The cluster's answer, once it said it answers.
  let answered: Promise<void> | undefined;
  try {
    const answer = reach.check(entry, deadline);
    await answer;
    answered = answer;
    const history = await actions.history(entry, deadline);
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
        deadline,
      );
    if (remedy.kind === 'stuck') throw new Error(remedy.why);
    if (remedy.kind === 'uninstall') {
      say(run, entry, 'rolling-back', 'uninstalling (before this deploy it was not installed)');
      await actions.uninstall(entry, deadline);
      outcome.rolledBackTo = 0;
    } else {
      say(run, entry, 'rolling-back', `rolling back to revision ${remedy.to}`);
      await actions.rollback(entry, remedy.to, deadline);
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
    if (answered && isNoAnswer(error))
      reach.askAgain(entry, answered, Date.now() + options.rollbackTimeoutSeconds * 1000);
    outcome.status = 'rollback-failed';
    outcome.rollbackError = firstLine(error);
    say(run, entry, 'rollback-failed', `ROLLBACK FAILED: ${outcome.rollbackError}`);
  } finally {
    outcome.timings = { ...outcome.timings, rollback: seconds(started) };
  }
}

/**
 * One deploy's execution over one or more waves: it applies targets, stops at the first failure,
 * and at the end makes the one decision over all outcomes — every target it changed back to last
 * good together, or the success recorded on every revision it made.
 */
export class DeployExecution {
  readonly outcomes: Outcome[];
  private readonly run: Run;
  private readonly limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** What stopped the deploy that is no target's own failure: a failed gate, a silent cluster. */
  private stopFailure: { wave?: string; reason: string } | undefined;
  /** Clusters heard to have stopped answering during this deploy. */
  private readonly heardSilent = new Set<string>();
  private readonly onSilent: (cluster: string, why: string) => void;
  private readonly onInterrupt: () => void;

  constructor(
    entries: readonly PlanEntry[],
    private readonly options: ExecuteOptions,
    actions: TargetActions,
    /** Targets an earlier run of this same deploy (paused, now resumed) already changed. */
    resumed: ReadonlyMap<PlanEntry, number> = new Map(),
  ) {
    this.outcomes = entries.map((entry): Outcome => {
      const revision = resumed.get(entry);
      const timings = options.planTimings?.get(targetKey(entry.target));
      if (revision !== undefined)
        return { entry, status: 'deployed', previousRevision: undefined, revision, seconds: 0, timings };
      return {
        entry,
        status: entry.action === 'unchanged' ? 'unchanged' : 'untouched',
        previousRevision: entry.currentRevision,
        revision: entry.action === 'unchanged' ? entry.currentRevision : undefined,
        seconds: 0,
        timings,
      };
    });
    options.onOutcomes?.(this.outcomes);
    this.run = { options, actions, stop: new AbortController() };
    // Every helm in flight listens on it: as many listeners as --concurrency, not a leak.
    setMaxListeners(0, this.run.stop.signal);
    this.limit = limiter(options.concurrency);
    this.onInterrupt = () =>
      this.run.stop.abort(new Stopped(options.lockLost?.aborted ? 'the lock was lost' : 'interrupted'));
    options.interrupt?.addEventListener('abort', this.onInterrupt, { once: true });
    options.lockLost?.addEventListener('abort', this.onInterrupt, { once: true });
    this.onSilent = (cluster, why) => {
      this.heardSilent.add(cluster);
      // Once the deploy is stopping, the cluster is only in doubt: the silence is not why it stopped.
      if (this.run.stop.signal.aborted) return;
      // Only work in flight there fails the deploy: a cluster whose targets are all done already
      // runs this deploy's release, and one whose work is still to come (a later wave's) may
      // answer by then. If it does not, the heartbeat is heard silent again while its helm runs.
      const inFlight = this.outcomes.find(
        (o) => o.entry.target.cluster === cluster && o.status === 'interrupted',
      );
      if (inFlight) this.fail(inFlight.wave, why);
    };
    options.silence?.on('silent', this.onSilent);
    if (this.interrupted) this.onInterrupt();
  }

  get interrupted(): boolean {
    return this.options.interrupt?.aborted === true || this.options.lockLost?.aborted === true;
  }

  /** Aborted once the deploy must stop: a failure, a failed gate, a signal, a lost lock. */
  get stopSignal(): AbortSignal {
    return this.run.stop.signal;
  }

  /** A gate of a wave failed: the deploy stops, and rolls back like on any failure. */
  failGate(wave: string, reason: string): void {
    this.fail(wave, reason, `wave ${wave}: ${reason}`);
  }

  /** Stops the deploy for `reason`; `why` is what the targets in flight say they were stopped for. */
  private fail(wave: string | undefined, reason: string, why = reason): void {
    this.stopFailure ??= { wave, reason };
    this.run.stop.abort(new Stopped(why));
  }

  /** Announces where each target of a wave starts: unchanged, or waiting its turn. */
  announce(entries: readonly PlanEntry[], wave: string): void {
    const run = { ...this.run, options: { ...this.options, wave } };
    const inWave = new Set(entries);
    for (const outcome of this.outcomes.filter((o) => inWave.has(o.entry))) {
      outcome.wave = wave;
      if (outcome.status === 'unchanged')
        say(run, outcome.entry, 'unchanged', `revision ${outcome.entry.currentRevision}`);
      else if (outcome.status === 'deployed')
        say(run, outcome.entry, 'healthy', `revision ${outcome.revision}`);
      else say(run, outcome.entry, 'waiting');
    }
  }

  /**
   * Installs or upgrades the changed targets among `entries`, at most `concurrency` at once and
   * at most `maxParallelClusters` clusters at once; nothing new starts once the deploy is stopped.
   */
  async apply(entries: readonly PlanEntry[], wave: string, maxParallelClusters?: number): Promise<void> {
    const run = { ...this.run, options: { ...this.options, wave } };
    const inWave = new Set(entries);
    const pending = this.outcomes.filter((o) => inWave.has(o.entry) && o.status === 'untouched');
    const byCluster = new Map<string, Outcome[]>();
    for (const outcome of pending) {
      const group = byCluster.get(outcome.entry.target.cluster);
      if (group) group.push(outcome);
      else byCluster.set(outcome.entry.target.cluster, [outcome]);
    }
    await mapBounded([...byCluster.values()], maxParallelClusters ?? Math.max(1, byCluster.size), (group) =>
      Promise.all(
        group.map((outcome) =>
          this.limit(async () => {
            if (run.stop.signal.aborted) return; // fail fast: nothing new starts
            await applyTarget(run, outcome);
          }),
        ),
      ),
    );
  }

  /** Why the deploy must be undone, if it must. */
  cause(): RollbackCause | undefined {
    return rollbackCause(this.outcomes, this.interrupted) ?? (this.stopFailure ? 'failure' : undefined);
  }

  /** The wave that failed and why (the first failure seen). */
  failure(): { wave?: string; reason?: string } {
    if (this.stopFailure) return this.stopFailure;
    const failed = this.outcomes.find((o) => o.status === 'failed');
    if (failed) return { wave: failed.wave, reason: `${failed.entry.target.cluster}: ${failed.error}` };
    const stopped = this.outcomes.find((o) => o.status === 'interrupted');
    return stopped ? { wave: stopped.wave, reason: stopped.error ?? 'interrupted' } : {};
  }

  /** Stops listening for signals (a paused deploy ends here; `finish` calls it too). */
  dispose(): void {
    this.options.interrupt?.removeEventListener('abort', this.onInterrupt);
    this.options.lockLost?.removeEventListener('abort', this.onInterrupt);
    this.options.silence?.off('silent', this.onSilent);
  }

  /** The one decision over every outcome: record the success, or bring back everything touched. */
  async finish(): Promise<DeployReport> {
    this.dispose();
    const { options, outcomes, run } = this;
    const cause = this.cause();
    if (!cause) {
      await Promise.all(
        outcomes
          .filter((o) => o.status === 'deployed' && o.revision !== undefined)
          .map(async (o) => {
            const started = Date.now();
            await recordVerdict(run, o.entry, [o.revision!], 'good');
            o.timings = { ...o.timings, verdict: seconds(started) };
          }),
      );
      return { deployId: options.deployId, outcomes, rolledBack: false };
    }
    const failure = this.failure();
    if (!options.rollback) {
      await Promise.all(
        touched(outcomes)
          .filter((o) => o.revision !== undefined)
          .map((o) => recordVerdict(run, o.entry, [o.revision!], 'failed')),
      );
      return { deployId: options.deployId, outcomes, rolledBack: false, cause, ...failure };
    }
    options.progress.line(
      cause === 'interrupt'
        ? 'interrupted: every cluster this deploy changed goes back to its last good revision (interrupt again to stop at once)'
        : `${failure.wave ? `wave ${failure.wave} failed` : (failure.reason ?? 'a target failed')}: every cluster this deploy changed goes back to its last good revision`,
    );
    const toBringBack = touched(outcomes);
    // In doubt: clusters heard to be silent, and those where a target failed for want of an answer.
    const doubted = new Set(this.heardSilent);
    for (const o of toBringBack)
      if (o.status === 'failed' && isNoAnswer({ message: o.error })) doubted.add(o.entry.target.cluster);
    const reach = new ClusterReach(run.actions, doubted, toBringBack);
    await mapBounded(toBringBack, options.concurrency, (outcome) =>
      remediate({ ...run, options: { ...options, wave: outcome.wave } }, outcome, reach),
    );
    const { silent } = reach;
    return {
      deployId: options.deployId,
      outcomes,
      rolledBack: true,
      cause,
      ...failure,
      ...(silent.length > 0 ? { silent } : {}),
    };
  }
}

/**
 * Runs a plan as one wave: every changed release × cluster installed or upgraded, each waiting
 * for its rollouts; after the first failure no new target starts and the ones in flight are
 * stopped (helm gets SIGTERM: it records its revision as failed, so the rollback need not wait
 * for their timeouts); then one decision over all outcomes.
 */
export async function executePlan(
  prepared: Pick<PreparedDeploy, 'plan'> & Partial<PreparedDeploy>,
  options: ExecuteOptions,
  actions: TargetActions = helmActions(prepared as PreparedDeploy, options),
): Promise<DeployReport> {
  const execution = new DeployExecution(prepared.plan.entries, options, actions);
  const wave = options.wave ?? 'all';
  execution.announce(prepared.plan.entries, wave);
  await execution.apply(prepared.plan.entries, wave);
  return execution.finish();
}
