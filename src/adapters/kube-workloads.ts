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
        generation: d.metadata?.generation ?? 0,
        observedGeneration: d.status?.observedGeneration ?? 0,
        desired: d.spec?.replicas ?? 1,
        current: d.status?.replicas ?? 0,
        updated: d.status?.updatedReplicas ?? 0,
        ready: d.status?.readyReplicas ?? 0,
        available: d.status?.availableReplicas ?? 0,
        conditions: conditions(d.status?.conditions),
        selector: d.spec?.selector.matchLabels,
      };
    }
    if (kind === 'StatefulSet') {
      const s = await apps.readNamespacedStatefulSet({ namespace, name });
      return {
        kind,
        namespace,
        name,
        exists: true,
        generation: s.metadata?.generation ?? 0,
        observedGeneration: s.status?.observedGeneration ?? 0,
        desired: s.spec?.replicas ?? 1,
        current: s.status?.replicas ?? 0,
        updated: s.status?.updatedReplicas ?? 0,
        ready: s.status?.readyReplicas ?? 0,
        available: s.status?.availableReplicas ?? 0,
        currentRevision: s.status?.currentRevision,
        updateRevision: s.status?.updateRevision,
        conditions: [],
        selector: s.spec?.selector.matchLabels,
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
