import pLimit from 'p-limit';
import {
  rollbackRelease,
  uninstallRelease,
  upgradeInstall,
  type HelmBinary,
  type ReleaseTarget,
} from '../adapters/helm.js';
import { ensureNamespace, latestHelmRevision } from '../adapters/kube.js';
import type { Cluster } from '../model/fleet.js';
import type { PlanEntry } from '../model/plan.js';
import type { Progress } from '../report/progress.js';
import type { Values } from '../values/layer.js';
import { helmCluster, kubeTarget } from './clusters.js';
import { CHART_DIGEST_LABEL, targetKey, type PreparedDeploy } from './prepare.js';

export const DEPLOY_ID_LABEL = 'regatta.io/deploy-id';

export type OutcomeStatus =
  'unchanged' | 'deployed' | 'failed' | 'rolled-back' | 'rollback-failed' | 'untouched';

export interface Outcome {
  entry: PlanEntry;
  status: OutcomeStatus;
  /** The revision live before this deploy (none: a first install). */
  previousRevision?: number;
  revision?: number;
  error?: string;
  rollbackError?: string;
  seconds: number;
}

export interface DeployReport {
  deployId: string;
  outcomes: Outcome[];
  rolledBack: boolean;
}

export interface ExecuteOptions {
  helm: HelmBinary;
  deployId: string;
  timeoutSeconds: number;
  rollbackTimeoutSeconds: number;
  /** How many releases × clusters at once; default: all. */
  concurrency?: number;
  rollback: boolean;
  progress: Progress;
}

function releaseTarget(entry: PlanEntry, cluster: Cluster): ReleaseTarget {
  return { release: entry.target.release, namespace: entry.target.namespace, cluster: helmCluster(cluster) };
}

function latestRevision(cluster: Cluster, entry: PlanEntry) {
  return latestHelmRevision(kubeTarget(cluster), entry.target.namespace, entry.target.release);
}

const label = (entry: PlanEntry) =>
  `${entry.target.cluster} ${entry.target.release}.${entry.target.namespace}`;
const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** Creates each missing namespace of a cluster once, however many releases install into it. */
function namespaceCreator() {
  const created = new Map<string, Promise<void>>();
  return {
    ensure(cluster: Cluster, namespace: string): Promise<void> {
      const key = `${cluster.name}\0${namespace}`;
      let done = created.get(key);
      if (!done) {
        done = ensureNamespace(kubeTarget(cluster), namespace);
        created.set(key, done);
      }
      return done;
    },
  };
}

/** Puts one touched target back where it was before the deploy. */
async function revert(outcome: Outcome, cluster: Cluster, options: ExecuteOptions): Promise<void> {
  const { entry } = outcome;
  const started = Date.now();
  try {
    const latest = await latestRevision(cluster, entry);
    if (!latest || (latest.revision === outcome.previousRevision && latest.status === 'deployed')) {
      outcome.status = outcome.status === 'failed' ? 'failed' : 'untouched';
      return; // nothing of this deploy reached the cluster
    }
    if (outcome.previousRevision === undefined) {
      options.progress.line(`${label(entry)}: uninstalling (it was a first install)`);
      await uninstallRelease(options.helm, releaseTarget(entry, cluster), options.rollbackTimeoutSeconds);
    } else {
      options.progress.line(`${label(entry)}: rolling back to revision ${outcome.previousRevision}`);
      await rollbackRelease(
        options.helm,
        releaseTarget(entry, cluster),
        outcome.previousRevision,
        options.rollbackTimeoutSeconds,
      );
    }
    outcome.status = 'rolled-back';
    options.progress.line(`${label(entry)}: rolled back (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  } catch (error) {
    outcome.status = 'rollback-failed';
    outcome.rollbackError = firstLine(error);
    options.progress.line(`${label(entry)}: ROLLBACK FAILED: ${outcome.rollbackError}`);
  }
}

/**
 * Runs a plan: every changed release × cluster in parallel, each waiting for its rollouts.
 * If any fails, every target this deploy touched goes back to its previous revision together.
 */
export async function executePlan(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployReport> {
  const namespaces = namespaceCreator();
  const limit = pLimit(options.concurrency ?? Math.max(1, prepared.plan.entries.length));
  const outcomes = await Promise.all(
    prepared.plan.entries.map((entry) =>
      limit(async (): Promise<Outcome> => {
        const outcome: Outcome = {
          entry,
          status: 'unchanged',
          previousRevision: entry.currentRevision,
          seconds: 0,
        };
        if (entry.action === 'unchanged') {
          options.progress.line(`${label(entry)}: unchanged (revision ${entry.currentRevision})`);
          outcome.revision = entry.currentRevision;
          return outcome;
        }
        const cluster = prepared.clusters.get(entry.target.cluster)!;
        const started = Date.now();
        options.progress.line(
          `${label(entry)}: ${entry.action === 'install' ? 'installing' : 'upgrading'} ${entry.target.chartName} ${entry.target.chartVersion}`,
        );
        try {
          if (entry.action === 'install') await namespaces.ensure(cluster, entry.target.namespace);
          await upgradeInstall(options.helm, {
            ...releaseTarget(entry, cluster),
            chart: await prepared.charts.local(entry.target.chart),
            values: prepared.values.get(targetKey(entry.target)) as Values,
            replicas: entry.target.replicas,
            labels: { [DEPLOY_ID_LABEL]: options.deployId, [CHART_DIGEST_LABEL]: entry.target.chartDigest },
            timeoutSeconds: options.timeoutSeconds,
            firstInstall: entry.action === 'install' && !entry.overHistory,
          });
          outcome.status = 'deployed';
          outcome.revision = (await latestRevision(cluster, entry))?.revision;
        } catch (error) {
          outcome.status = 'failed';
          outcome.error = firstLine(error);
        }
        outcome.seconds = (Date.now() - started) / 1000;
        options.progress.line(
          `${label(entry)}: ${outcome.status === 'deployed' ? `deployed revision ${outcome.revision}` : `FAILED: ${outcome.error}`} (${outcome.seconds.toFixed(1)}s)`,
        );
        return outcome;
      }),
    ),
  );
  const failed = outcomes.some((outcome) => outcome.status === 'failed');
  if (!failed || !options.rollback) return { deployId: options.deployId, outcomes, rolledBack: false };
  options.progress.line('a target failed: rolling back every cluster this deploy changed');
  await Promise.all(
    outcomes
      .filter((outcome) => outcome.status === 'deployed' || outcome.status === 'failed')
      .map((outcome) => revert(outcome, prepared.clusters.get(outcome.entry.target.cluster)!, options)),
  );
  return { deployId: options.deployId, outcomes, rolledBack: true };
}
