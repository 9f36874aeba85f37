import { HelmError, upgradeInstall, type HelmBinary } from '../adapters/helm.js';
import { labelRevision, latestHelmRevision, listHelmRevisions } from '../adapters/helm-storage.js';
import { retryTransient } from '../adapters/transient.js';
import { revisionLabels, VERDICT_LABEL, type HelmRevision, type Verdict } from '../model/helm-release.js';
import type { PlanEntry } from '../model/plan.js';
import type { Progress } from '../report/progress.js';
import { helmCluster, kubeTarget } from './clusters.js';
import { Namespaces } from './namespaces.js';
import { targetKey, type PreparedDeploy } from './prepare.js';
import { reach, restoreRevision, retrying, uninstall, unlock, type RestoreTarget } from './restore.js';
import { RolloutError, waitForRollouts, workloadsOf } from './wait.js';

/**
 * The verbs the executor has, one per Helm or Kubernetes action on one target (Flux's
 * helm-controller has one small type per action the same way). The executor decides nothing
 * about how they run; tests give it a recording set over in-memory histories.
 */
export interface TargetActions {
  /**
   * Installs or upgrades the target and waits for it; resolves with the revision it made.
   * `took` hears how long each phase took (upgrade, postRender, wait), in seconds.
   */
  upgrade(
    entry: PlanEntry,
    signal: AbortSignal,
    took?: (phase: 'upgrade' | 'postRender' | 'wait', seconds: number) => void,
  ): Promise<number | undefined>;
  /**
   * Marks a revision left pending by a stopped helm as failed. `deadline` (ms since the epoch),
   * here and below: when bringing the target back must be over, whatever the API server does.
   */
  unlock(entry: PlanEntry, revision: number, why: string, deadline?: number): Promise<void>;
  /**
   * Rejects if the target's cluster does not answer a short request (10 s): asked before
   * bringing it back, once per cluster, so a cluster that stopped answering costs seconds.
   */
  reach(entry: PlanEntry, deadline?: number): Promise<void>;
  /** Every stored revision of the target's release, oldest first. */
  history(entry: PlanEntry, deadline?: number): Promise<HelmRevision[]>;
  /** Back to a revision, waiting for its workloads. */
  rollback(entry: PlanEntry, to: number, deadline?: number): Promise<void>;
  uninstall(entry: PlanEntry, deadline?: number): Promise<void>;
  /** Records a deploy's verdict on a revision. */
  label(entry: PlanEntry, revision: number, verdict: Verdict): Promise<void>;
}

export interface HelmActionOptions {
  helm: HelmBinary;
  deployId: string;
  timeoutSeconds: number;
  rollbackTimeoutSeconds: number;
  progress: Progress;
  /** The emergency options it runs with, recorded on every revision it makes. */
  emergency?: string;
  /** Namespaces already made sure of in this run (by its fleet lock). */
  namespaces?: Namespaces;
}

/** The real actions: helm for releases, the API server for Helm's records and namespaces. */
export function helmActions(prepared: PreparedDeploy, options: HelmActionOptions): TargetActions {
  const clusterOf = (entry: PlanEntry) => prepared.clusters.get(entry.target.cluster)!;
  const restoreTarget = (entry: PlanEntry, deadline?: number): RestoreTarget => ({
    helm: options.helm,
    cluster: clusterOf(entry),
    release: entry.target.release,
    namespace: entry.target.namespace,
    timeoutSeconds: options.rollbackTimeoutSeconds,
    progress: options.progress,
    actor: `deploy ${options.deployId}`,
    deadline,
  });
  const namespaces = options.namespaces ?? new Namespaces();
  return {
    async upgrade(entry, signal, took) {
      const cluster = clusterOf(entry);
      // Summed over helm runs (a second one below) and Regatta's own wait between them.
      const spent = { upgrade: 0, postRender: 0, wait: 0 };
      const add = (phases: Partial<typeof spent>) => {
        for (const phase of ['upgrade', 'postRender', 'wait'] as const) {
          if (phases[phase] === undefined) continue;
          spent[phase] += phases[phase];
          took?.(phase, spent[phase]);
        }
      };
      // Regatta creates missing namespaces itself (see adapters/helm.ts: why not --create-namespace).
      if (entry.action === 'install') await namespaces.ensure(cluster, entry.target.namespace);
      const started = Date.now();
      const upgrade = async () =>
        upgradeInstall(options.helm, {
          release: entry.target.release,
          namespace: entry.target.namespace,
          cluster: helmCluster(cluster),
          chart: await prepared.charts.local(entry.target.chart),
          values: prepared.values.get(targetKey(entry.target)) ?? {},
          replicas: entry.target.replicas,
          labels: revisionLabels({
            deployId: options.deployId,
            chartDigest: entry.target.chartDigest,
            emergency: options.emergency,
            firstInstall: entry.action === 'install' && !entry.overHistory,
          }),
          timeoutSeconds: options.timeoutSeconds,
          firstInstall: entry.action === 'install' && !entry.overHistory,
          signal,
          onPhases: add,
        });
      try {
        await upgrade();
      } catch (error) {
        // A first install makes new Deployments: their clock is this change's, helm read it right.
        const firstInstall = entry.action === 'install' && !entry.overHistory;
        if (!(error instanceof HelmError) || !error.readProgressDeadline || firstInstall || signal.aborted)
          throw error;
        // Helm's watcher judged the rollout on a progress deadline that may have run before this
        // change (a rerun over a rollout a lost cluster left half-way). Give each Deployment its
        // whole deadline from our change; if the rollout completes, upgrade again: the same
        // manifests, now Ready, recorded as deployed (this revision stays failed, as helm said).
        const target = kubeTarget(cluster);
        const made = await retryTransient(() =>
          latestHelmRevision(target, entry.target.namespace, entry.target.release),
        );
        const where = `${entry.target.cluster} ${entry.target.release}.${entry.target.namespace}`;
        options.progress.line(
          `${where}: helm read a progress deadline exceeded ${Math.round((Date.now() - started) / 1000)}s into the upgrade; waiting for the rollout with each Deployment's whole deadline`,
        );
        const waitStarted = Date.now();
        await waitForRollouts(target, workloadsOf(made?.manifest ?? '', entry.target.namespace), {
          changedAt: started,
          timeoutMs: Math.max(0, started + options.timeoutSeconds * 1000 - Date.now()),
          signal,
        })
          .catch((late: unknown) => {
            throw late instanceof RolloutError ? error : late;
          })
          .finally(() => add({ wait: (Date.now() - waitStarted) / 1000 }));
        options.progress.line(`${where}: the rollout completed; upgrading again to record it`);
        await upgrade();
      }
      const reading = Date.now();
      const latest = await retryTransient(() =>
        latestHelmRevision(kubeTarget(cluster), entry.target.namespace, entry.target.release),
      );
      add({ upgrade: (Date.now() - reading) / 1000 }); // which revision it made: part of the upgrade
      return latest?.revision;
    },
    unlock: (entry, revision, why, deadline) => unlock(restoreTarget(entry, deadline), revision, why),
    reach: (entry, deadline) => reach(restoreTarget(entry, deadline)),
    history: (entry, deadline) =>
      retrying(restoreTarget(entry, deadline), (api) =>
        listHelmRevisions(api, {
          namespace: entry.target.namespace,
          release: entry.target.release,
        }),
      ),
    rollback: (entry, to, deadline) => restoreRevision(restoreTarget(entry, deadline), to),
    uninstall: (entry, deadline) => uninstall(restoreTarget(entry, deadline)),
    label: (entry, revision, verdict) =>
      retryTransient(() =>
        labelRevision(kubeTarget(clusterOf(entry)), entry.target.namespace, entry.target.release, revision, {
          [VERDICT_LABEL]: verdict,
        }),
      ),
  };
}
