import type { HelmCluster } from '../adapters/helm.js';
import { contextProblem, type KubeTarget } from '../adapters/kube.js';
import { UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The kubeconfig a cluster uses: its own, else $KUBECONFIG (every file of it, as kubectl reads it), else ~/.kube/config. */
export function kubeconfigOf(
  cluster: Pick<Cluster, 'kubeconfig'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return cluster.kubeconfig || env.KUBECONFIG || join(env.HOME ?? homedir(), '.kube', 'config');
}

export function kubeTarget(cluster: Pick<Cluster, 'kubeconfig' | 'context'>): KubeTarget {
  return { kubeconfig: kubeconfigOf(cluster), context: cluster.context };
}

export function helmCluster(cluster: Pick<Cluster, 'kubeconfig' | 'context'>): HelmCluster {
  return { context: cluster.context, kubeconfig: cluster.kubeconfig };
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
