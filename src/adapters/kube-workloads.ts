import * as k8s from '@kubernetes/client-node';
import type { WorkloadCondition, WorkloadKind, WorkloadObservation } from '../model/workload.js';
import { loadConfig, type KubeTarget } from './kube.js';

const time = (value: unknown) =>
  value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : undefined;

function conditions(items: readonly k8s.V1DeploymentCondition[] | undefined): WorkloadCondition[] {
  return (items ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastUpdateTime: time(c.lastUpdateTime),
  }));
}

const missing = (kind: WorkloadKind, namespace: string, name: string): WorkloadObservation => ({
  kind,
  namespace,
  name,
  exists: false,
  generation: 0,
  observedGeneration: 0,
  desired: 0,
  current: 0,
  updated: 0,
  ready: 0,
  available: 0,
  conditions: [],
});

/** The fields a Deployment and a StatefulSet report alike. */
function replicaSetLike(
  object: k8s.V1Deployment | k8s.V1StatefulSet,
): Omit<WorkloadObservation, 'kind' | 'namespace' | 'name' | 'exists' | 'conditions'> {
  return {
    generation: object.metadata?.generation ?? 0,
    observedGeneration: object.status?.observedGeneration ?? 0,
    desired: object.spec?.replicas ?? 1,
    current: object.status?.replicas ?? 0,
    updated: object.status?.updatedReplicas ?? 0,
    ready: object.status?.readyReplicas ?? 0,
    available: object.status?.availableReplicas ?? 0,
    selector: object.spec?.selector.matchLabels,
  };
}

/** Reads one Deployment, StatefulSet or DaemonSet's status as plain data. */
export async function readWorkload(
  target: KubeTarget,
  kind: WorkloadKind,
  namespace: string,
  name: string,
): Promise<WorkloadObservation> {
  const apps = loadConfig(target).makeApiClient(k8s.AppsV1Api);
  try {
    if (kind === 'Deployment') {
      const d = await apps.readNamespacedDeployment({ namespace, name });
      return {
        kind,
        namespace,
        name,
        exists: true,
        ...replicaSetLike(d),
        conditions: conditions(d.status?.conditions),
        progressDeadlineSeconds: d.spec?.progressDeadlineSeconds ?? 600,
      };
    }
    if (kind === 'StatefulSet') {
      const s = await apps.readNamespacedStatefulSet({ namespace, name });
      return {
        kind,
        namespace,
        name,
        exists: true,
        ...replicaSetLike(s),
        currentRevision: s.status?.currentRevision,
        updateRevision: s.status?.updateRevision,
        conditions: [],
      };
    }
    const ds = await apps.readNamespacedDaemonSet({ namespace, name });
    return {
      kind,
      namespace,
      name,
      exists: true,
      generation: ds.metadata?.generation ?? 0,
      observedGeneration: ds.status?.observedGeneration ?? 0,
      desired: ds.status?.desiredNumberScheduled ?? 0,
      current: ds.status?.currentNumberScheduled ?? 0,
      updated: ds.status?.updatedNumberScheduled ?? 0,
      ready: ds.status?.numberReady ?? 0,
      available: ds.status?.numberAvailable ?? 0,
      conditions: [],
      selector: ds.spec?.selector.matchLabels,
    };
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return missing(kind, namespace, name);
    throw error;
  }
}

/** Container restarts of every Pod a selector matches, by Pod name (a soak watches them grow). */
export async function podRestarts(
  target: KubeTarget,
  namespace: string,
  selector: Record<string, string>,
): Promise<Map<string, number>> {
  const core = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const labelSelector = Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = await core.listNamespacedPod({ namespace, labelSelector });
  return new Map(
    pods.items.map((pod) => [
      pod.metadata?.name ?? '',
      (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    ]),
  );
}
