// What every fault scenario uses, whichever sandbox it runs on (the suite's, or one of its own):
// nothing here reads the suite's sandbox when it is imported.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { loadConfig } from '../../src/adapters/kube.js';
import { listHelmRevisions } from '../../src/adapters/helm-storage.js';
import { readWorkload } from '../../src/adapters/kube-workloads.js';
import { packageRoot } from '../../src/paths.js';
import { rolloutState } from '../../src/plan/rollout.js';
import { writeRelease } from '../integration/support/fleet.js';

export const webChart = join(packageRoot, 'test', 'fixtures', 'charts', 'web');

/** How many times each scenario runs (the figures by default). */
export const repeat = (wanted: number) => Number(process.env.REGATTA_FAULT_REPEAT ?? wanted);

/** Release `name` of the web chart in namespace `name`, with this image. */
export function webRelease(
  dir: string,
  name: string,
  image: string,
  values: Record<string, unknown> = {},
): string {
  return writeRelease(dir, `${name}.yaml`, {
    apiVersion: 'regatta/v1',
    kind: 'Release',
    metadata: { name: `${name}.${name}`, environment: 'dev' },
    spec: { chart_name: 'web', chart_path: webChart, values: { image, ...values } },
  });
}

export interface ClusterState {
  context: string;
  image?: string;
  healthy: boolean;
  helmStatus?: string;
}

/**
 * What one cluster runs for a release: the Deployment's image, whether its rollout is complete,
 * and Helm's latest status — read from the cluster itself, not from Regatta's report.
 */
export async function readClusterState(
  kubeconfig: string,
  context: string,
  release: string,
): Promise<ClusterState> {
  const target = { kubeconfig, context };
  const workload = await readWorkload(target, 'Deployment', release, release);
  const revisions = await listHelmRevisions(target, { namespace: release, release });
  let image: string | undefined;
  try {
    const d = await loadConfig(target)
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ namespace: release, name: release });
    image = d.spec?.template.spec?.containers[0]?.image;
  } catch {
    image = undefined;
  }
  return {
    context,
    image,
    healthy: !workload.exists || rolloutState(workload).state === 'done',
    helmStatus: revisions.at(-1)?.status,
  };
}

/** Waits until every cluster's workload has settled (a rollback's rollout may still finish). */
export async function settledStates(
  kubeconfig: string,
  contexts: readonly string[],
  release: string,
  settleMs = 30_000,
): Promise<ClusterState[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const states = await Promise.all(
      contexts.map((context) => readClusterState(kubeconfig, context, release)),
    );
    if (states.every((s) => s.healthy) || Date.now() > deadline) return states;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The regatta CLI started in the background; resolves its exit and output. */
export function spawnRegatta(args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'regatta.js'), ...args], { env });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves once stderr matches `pattern` (or the process ended: false). */
    waitFor(pattern: RegExp): Promise<boolean> {
      return new Promise((resolve) => {
        const check = () => {
          if (pattern.test(stderr)) resolve(true);
        };
        listeners.push(check);
        check();
        void exited.then(() => resolve(pattern.test(stderr)));
      });
    },
  };
}

/** Prints the scenario's figure (`N/N held`) for the CI log, and returns whether all held. */
export function figure(scenario: string, held: number, runs: number): boolean {
  console.log(`# fault scenario: ${scenario}: ${held}/${runs} held`);
  return held === runs;
}
