/** What a workload's status says, as plain data: enough to decide whether its rollout is done. */
export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** RFC 3339; the deployment controller moves it whenever it sees progress. */
  lastUpdateTime?: string;
}

export interface WorkloadObservation {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  /** Absent: the object does not exist. */
  exists: boolean;
  generation: number;
  observedGeneration: number;
  /** spec.replicas (DaemonSet: desiredNumberScheduled). */
  desired: number;
  /** status.replicas: every Pod of every ReplicaSet / revision, old ones included. */
  current: number;
  updated: number;
  ready: number;
  available: number;
  /** StatefulSet: currentRevision and updateRevision (equal when the rollout is complete). */
  currentRevision?: string;
  updateRevision?: string;
  conditions: WorkloadCondition[];
  /** Deployment: spec.progressDeadlineSeconds (the API server defaults it to 600). */
  progressDeadlineSeconds?: number;
  /** spec.selector.matchLabels: how to find its Pods. */
  selector?: Record<string, string>;
}

export type WorkloadKind = WorkloadObservation['kind'];
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
