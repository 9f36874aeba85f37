import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testRelease, type HelmBinary } from '../adapters/helm.js';
import { latestHelmRevision } from '../adapters/helm-storage.js';
import { podRestarts, readWorkload } from '../adapters/kube-workloads.js';
import { ProcessError, run } from '../adapters/process.js';
import { retryTransient } from '../adapters/transient.js';
import type { Cluster } from '../model/fleet.js';
import type { PlanEntry } from '../model/plan.js';
import type { CheckSpec } from '../model/rollout.js';
import { soakProblem } from '../plan/rollout.js';
import { helmCluster, kubeconfigOf, kubeTarget } from './clusters.js';
import { workloadsOf } from './wait.js';

/** A gate that did not pass; the message says what and where (never a value). */
export class GateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateError';
  }
}

/** What gates can do; tests give the wave orchestration a recording set. */
export interface GateActions {
  /** Watches every workload of `entries` for `seconds`; rejects with GateError at the first problem. */
  soak(
    entries: readonly PlanEntry[],
    seconds: number,
    signal: AbortSignal,
    tick: (elapsed: number) => void,
  ): Promise<void>;
  /** Runs a check command for one target; rejects with GateError if it fails or times out. */
  check(entry: PlanEntry, check: CheckSpec, signal: AbortSignal): Promise<void>;
  /** `helm test` of one target. */
  helmTest(entry: PlanEntry, signal: AbortSignal): Promise<void>;
}

export interface GateContext {
  clusters: ReadonlyMap<string, Cluster>;
  helm: HelmBinary;
  deployId: string;
  /** Checks run in the fleet file's folder (their paths are relative to it). */
  fleetFile: string;
  timeoutSeconds: number;
}

const where = (entry: PlanEntry) =>
  `${entry.target.cluster} ${entry.target.release}.${entry.target.namespace}`;

export function realGates(context: GateContext): GateActions {
  const clusterOf = (entry: PlanEntry) => context.clusters.get(entry.target.cluster)!;
  return {
    async soak(entries, seconds, signal, tick) {
      const watched = await Promise.all(
        entries.map(async (entry) => {
          const target = kubeTarget(clusterOf(entry));
          const latest = await retryTransient(() =>
            latestHelmRevision(target, entry.target.namespace, entry.target.release),
          );
          const workloads = workloadsOf(latest?.manifest ?? '', entry.target.namespace);
          return Promise.all(
            workloads.map(async (workload) => {
              const now = await retryTransient(() =>
                readWorkload(target, workload.kind, workload.namespace, workload.name),
              );
              const before = now.selector
                ? await retryTransient(() => podRestarts(target, workload.namespace, now.selector!))
                : new Map<string, number>();
              return { entry, target, workload, before };
            }),
          );
        }),
      );
      const all = watched.flat();
      const started = Date.now();
      for (;;) {
        for (const { entry, target, workload, before } of all) {
          if (signal.aborted) return;
          const now = await retryTransient(() =>
            readWorkload(target, workload.kind, workload.namespace, workload.name),
          );
          const restarts = now.selector
            ? await retryTransient(() => podRestarts(target, workload.namespace, now.selector!))
            : new Map<string, number>();
          const problem = soakProblem(now, before, restarts);
          if (problem) throw new GateError(`soak: ${where(entry)}: ${problem}`);
        }
        const elapsed = (Date.now() - started) / 1000;
        tick(Math.min(elapsed, seconds));
        if (elapsed >= seconds) return;
        await sleep(Math.min(2000, Math.max(0, seconds * 1000 - (Date.now() - started))), undefined, {
          signal,
        }).catch(() => undefined);
        if (signal.aborted) return;
      }
    },

    async check(entry, check, signal) {
      const cluster = clusterOf(entry);
      try {
        await run('sh', ['-c', check.run], {
          cwd: dirname(context.fleetFile),
          env: {
            ...process.env,
            KUBECONFIG: kubeconfigOf(cluster),
            REGATTA_CLUSTER: cluster.name,
            REGATTA_CONTEXT: cluster.context,
            REGATTA_RELEASE: entry.target.release,
            REGATTA_NAMESPACE: entry.target.namespace,
            REGATTA_ENVIRONMENT: entry.target.environment,
            REGATTA_DEPLOY_ID: context.deployId,
          },
          timeoutMs: check.timeoutSeconds * 1000,
          signal,
        });
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ProcessError) {
          const how = error.result.signal
            ? `did not finish within ${check.timeoutSeconds}s`
            : `exited with ${error.result.exitCode}`;
          const last = (error.result.stderr || error.result.stdout).trim().split('\n').at(-1) ?? '';
          throw new GateError(`check \`${check.run}\` ${how} in ${where(entry)}${last ? `: ${last}` : ''}`);
        }
        throw error;
      }
    },

    async helmTest(entry, signal) {
      try {
        await testRelease(
          context.helm,
          {
            release: entry.target.release,
            namespace: entry.target.namespace,
            cluster: helmCluster(clusterOf(entry)),
          },
          context.timeoutSeconds,
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        throw new GateError(`helm test in ${where(entry)}: ${(error as Error).message.split('\n')[0]}`);
      }
    },
  };
}
