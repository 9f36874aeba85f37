import { upgradeInstall, type HelmBinary, type ReleaseTarget } from '../adapters/helm.js';
import {
  labelRevision,
  latestHelmRevision,
  listHelmRevisions,
  markRevisionFailed,
} from '../adapters/helm-storage.js';
import { ensureNamespace } from '../adapters/kube.js';
import { retryTransient } from '../adapters/transient.js';
import { mapBounded } from '../concurrency.js';
import type { Cluster } from '../model/fleet.js';
import { CHART_DIGEST_LABEL, DEPLOY_ID_LABEL, VERDICT_LABEL, type Verdict } from '../model/helm-release.js';
import type { DeployReport, Outcome } from '../model/outcome.js';
import type { PlanEntry } from '../model/plan.js';
import { decideRemedy, rollbackCause, touched } from '../plan/remediation.js';
import type { Progress } from '../report/progress.js';
import { helmCluster, kubeTarget } from './clusters.js';
import { targetKey, type PreparedDeploy } from './prepare.js';
import { restoreRevision, retrying, uninstall, unlock, type RestoreTarget } from './restore.js';

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
}

const label = (entry: PlanEntry) =>
  `${entry.target.cluster} ${entry.target.release}.${entry.target.namespace}`;
const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
const seconds = (since: number) => (Date.now() - since) / 1000;

function releaseTarget(entry: PlanEntry, cluster: Cluster): ReleaseTarget {
  return { release: entry.target.release, namespace: entry.target.namespace, cluster: helmCluster(cluster) };
}

/** Why the run stopped early: a failed target, a signal, or a lost lock. */
class Stopped extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

/** Creates each missing namespace of a cluster once, however many releases install into it. */
function namespaceCreator() {
  const created = new Map<string, Promise<void>>();
  return (cluster: Cluster, namespace: string): Promise<void> => {
    const key = `${cluster.name}\0${namespace}`;
    let done = created.get(key);
    if (!done) {
      done = retryTransient(() => ensureNamespace(kubeTarget(cluster), namespace));
      created.set(key, done);
    }
    return done;
  };
}

/** Observe → act for one target: unlock what a killed helm left, then install or upgrade and wait. */
async function applyTarget(
  prepared: PreparedDeploy,
  outcome: Outcome,
  options: ExecuteOptions,
  stop: AbortController,
  ensureNamespaceOnce: ReturnType<typeof namespaceCreator>,
): Promise<void> {
  const { entry } = outcome;
  const cluster = prepared.clusters.get(entry.target.cluster)!;
  const target = kubeTarget(cluster);
  const started = Date.now();
  outcome.status = 'interrupted'; // until helm says otherwise: it has been started
  options.progress.line(
    `${label(entry)}: ${entry.action === 'install' ? 'installing' : 'upgrading'} ${entry.target.chartName} ${entry.target.chartVersion}`,
  );
  try {
    if (entry.unlock) {
      const { revision, status } = entry.unlock;
      await retryTransient(() =>
        markRevisionFailed(
          target,
          entry.target.namespace,
          entry.target.release,
          revision,
          `Regatta: ${status} left by a stopped helm; unlocked by deploy ${options.deployId}`,
        ),
      );
      outcome.recovered = `revision ${revision} was ${status} (a helm was stopped): marked failed`;
      options.progress.line(`${label(entry)}: recovered: ${outcome.recovered}`);
    }
    if (entry.action === 'install') await ensureNamespaceOnce(cluster, entry.target.namespace);
    await upgradeInstall(options.helm, {
      ...releaseTarget(entry, cluster),
      chart: await prepared.charts.local(entry.target.chart),
      valuesJson: JSON.stringify(prepared.values.get(targetKey(entry.target))),
      replicas: entry.target.replicas,
      labels: { [DEPLOY_ID_LABEL]: options.deployId, [CHART_DIGEST_LABEL]: entry.target.chartDigest },
      timeoutSeconds: options.timeoutSeconds,
      firstInstall: entry.action === 'install' && !entry.overHistory,
      signal: stop.signal,
    });
    outcome.status = 'deployed';
    outcome.revision = (
      await retryTransient(() => latestHelmRevision(target, entry.target.namespace, entry.target.release))
    )?.revision;
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
  options.progress.line(
    `${label(entry)}: ${outcome.status === 'deployed' ? `deployed revision ${outcome.revision}` : `${outcome.status.toUpperCase()}: ${outcome.error}`} (${outcome.seconds.toFixed(1)}s)`,
  );
}

function restoreTarget(prepared: PreparedDeploy, entry: PlanEntry, options: ExecuteOptions): RestoreTarget {
  return {
    helm: options.helm,
    cluster: prepared.clusters.get(entry.target.cluster)!,
    release: entry.target.release,
    namespace: entry.target.namespace,
    timeoutSeconds: options.rollbackTimeoutSeconds,
    progress: options.progress,
    actor: `deploy ${options.deployId}`,
  };
}

/** Observe → decide → act, to bring one touched target back to its last good revision. */
async function remediate(prepared: PreparedDeploy, outcome: Outcome, options: ExecuteOptions): Promise<void> {
  const { entry } = outcome;
  const target = kubeTarget(prepared.clusters.get(entry.target.cluster)!);
  const { namespace, release } = entry.target;
  const started = Date.now();
  try {
    const restore = restoreTarget(prepared, entry, options);
    const history = await retrying(restore, () => listHelmRevisions(target, { namespace, release }));
    const remedy = decideRemedy({
      deployId: options.deployId,
      history,
      previousRevision: outcome.previousRevision,
      wasAbsent: entry.action === 'install',
    });
    if (remedy.kind === 'none') {
      if (outcome.status !== 'failed') outcome.status = 'untouched';
      return;
    }
    if (remedy.kind === 'leave') {
      outcome.status = 'left-alone';
      outcome.rollbackError = remedy.why;
      options.progress.line(`${label(entry)}: NOT rolled back: ${remedy.why}`);
      return;
    }
    if (remedy.kind === 'stuck') throw new Error(remedy.why);
    if (remedy.unlock !== undefined)
      await unlock(restore, remedy.unlock, 'stopped mid-deploy; unlocked to roll back');
    if (remedy.kind === 'uninstall') {
      options.progress.line(`${label(entry)}: uninstalling (before this deploy it was not installed)`);
      await uninstall(restore);
      outcome.rolledBackTo = 0;
    } else {
      options.progress.line(`${label(entry)}: rolling back to revision ${remedy.to}`);
      await restoreRevision(restore, remedy.to);
      outcome.rolledBackTo = remedy.to;
    }
    outcome.status = 'rolled-back';
    await recordVerdict(
      prepared,
      outcome,
      history
        .filter(
          (r) => r.labels[DEPLOY_ID_LABEL] === options.deployId && !r.description.startsWith('Rollback'),
        )
        .map((r) => r.revision),
      'failed',
      options,
    );
    options.progress.line(`${label(entry)}: rolled back (${seconds(started).toFixed(1)}s)`);
  } catch (error) {
    outcome.status = 'rollback-failed';
    outcome.rollbackError = firstLine(error);
    options.progress.line(`${label(entry)}: ROLLBACK FAILED: ${outcome.rollbackError}`);
  } finally {
    outcome.timings = { ...outcome.timings, rollback: seconds(started) };
  }
}

/** Writes what the fleet-wide deploy concluded onto the revisions it made (best effort). */
async function recordVerdict(
  prepared: PreparedDeploy,
  outcome: Outcome,
  revisions: readonly number[],
  verdict: Verdict,
  options: ExecuteOptions,
): Promise<void> {
  const { entry } = outcome;
  const target = kubeTarget(prepared.clusters.get(entry.target.cluster)!);
  for (const revision of revisions) {
    try {
      await retryTransient(() =>
        labelRevision(target, entry.target.namespace, entry.target.release, revision, {
          [VERDICT_LABEL]: verdict,
        }),
      );
    } catch (error) {
      options.progress.line(
        `${label(entry)}: could not record revision ${revision} as ${verdict}: ${firstLine(error)}`,
      );
    }
  }
}

/**
 * Runs a plan. Every changed release × cluster is installed or upgraded (at most `concurrency` at
 * once), each waiting for its rollouts. After the first failure no new target starts and the
 * ones in flight are stopped (helm gets SIGTERM: it records its revision as failed); then one
 * decision is made over all outcomes: if anything failed or the run was interrupted, every target
 * this deploy changed goes back to its last good revision together. A success is recorded on
 * the revisions (the verdict label) only once every target is healthy.
 */
export async function executePlan(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployReport> {
  const outcomes: Outcome[] = prepared.plan.entries.map((entry) => ({
    entry,
    status: entry.action === 'unchanged' ? 'unchanged' : 'untouched',
    previousRevision: entry.currentRevision,
    revision: entry.action === 'unchanged' ? entry.currentRevision : undefined,
    seconds: 0,
  }));
  options.onOutcomes?.(outcomes);
  const stop = new AbortController();
  const interrupted = () => options.interrupt?.aborted === true || options.lockLost?.aborted === true;
  const onInterrupt = () =>
    stop.abort(new Stopped(options.lockLost?.aborted ? 'the lock was lost' : 'interrupted'));
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  options.lockLost?.addEventListener('abort', onInterrupt, { once: true });
  if (interrupted()) onInterrupt();
  for (const outcome of outcomes.filter((o) => o.status === 'unchanged'))
    options.progress.line(`${label(outcome.entry)}: unchanged (revision ${outcome.entry.currentRevision})`);
  const ensureNamespaceOnce = namespaceCreator();
  try {
    await mapBounded(
      outcomes.filter((o) => o.status === 'untouched'),
      options.concurrency,
      async (outcome) => {
        if (stop.signal.aborted) return; // fail fast: nothing new starts
        await applyTarget(prepared, outcome, options, stop, ensureNamespaceOnce);
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
        .map((o) => recordVerdict(prepared, o, [o.revision!], 'good', options)),
    );
    return { deployId: options.deployId, outcomes, rolledBack: false };
  }
  if (!options.rollback) {
    await Promise.all(
      touched(outcomes)
        .filter((o) => o.revision !== undefined)
        .map((o) => recordVerdict(prepared, o, [o.revision!], 'failed', options)),
    );
    return { deployId: options.deployId, outcomes, rolledBack: false, cause };
  }
  options.progress.line(
    cause === 'interrupt'
      ? 'interrupted: every cluster this deploy changed goes back to its last good revision (interrupt again to stop at once)'
      : 'a target failed: every cluster this deploy changed goes back to its last good revision',
  );
  await mapBounded(touched(outcomes), options.concurrency, (outcome) =>
    remediate(prepared, outcome, options),
  );
  return { deployId: options.deployId, outcomes, rolledBack: true, cause };
}
