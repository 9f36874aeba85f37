import type { HelmCluster } from '../adapters/helm.js';
import type { KubeTarget } from '../adapters/kube.js';
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
