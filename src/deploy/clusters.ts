import type { HelmCluster } from '../adapters/helm.js';
import { contextProblem, type KubeTarget } from '../adapters/kube.js';
import { UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The kubeconfig a cluster uses: its own, else $KUBECONFIG (first file), else ~/.kube/config. */
export function kubeconfigOf(
  cluster: Pick<Cluster, 'kubeconfig'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return (
    cluster.kubeconfig ?? env.KUBECONFIG?.split(':')[0] ?? join(env.HOME ?? homedir(), '.kube', 'config')
  );
}

export function kubeTarget(cluster: Pick<Cluster, 'kubeconfig' | 'context'>): KubeTarget {
  return { kubeconfig: kubeconfigOf(cluster), context: cluster.context };
}

export function helmCluster(cluster: Pick<Cluster, 'kubeconfig' | 'context'>): HelmCluster {
  return { context: cluster.context, kubeconfig: cluster.kubeconfig };
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A cluster whose kubeconfig or context does not exist is the fleet file's mistake (exit 2). */
export function assertKubeContexts(clusters: readonly Cluster[]): void {
  for (const cluster of clusters) {
    const problem = contextProblem(kubeTarget(cluster));
    if (problem) {
      throw new UserError(`cluster ${cluster.name}: ${problem}`, {
        position: cluster.position,
        hint: 'set its context: (or kubeconfig:) in the fleet file, or use the right KUBECONFIG',
      });
    }
  }
}
