import type { SourcePosition } from '../errors.js';
import type { RolloutStrategy } from './rollout.js';

export interface ReplicaCount {
  /** Deployment or StatefulSet name, as rendered. */
  name: string;
  count: number;
}

export interface ClusterScaling {
  cluster: string;
  replicas: ReplicaCount[];
  position: SourcePosition;
}

export interface SecretSource {
  /** A cluster name, or `default`. */
  name: string;
  vaultPath: string;
  vaultKey: string;
  position: SourcePosition;
}

export interface SecretMapping {
  secretId: string;
  contexts: SecretSource[];
  position: SourcePosition;
}

export interface ChartSource {
  name: string;
  /** Exact version; absent: the newest in the environment's repository. */
  version?: string;
  /** A local chart folder (absolute), instead of the repository. */
  path?: string;
}

/** One application: a Helm release deployed to every cluster of one environment. */
export interface Release {
  file: string;
  position: SourcePosition;
  /** `app1` of `app1.ns1`. */
  name: string;
  namespace: string;
  environment: string;
  branch?: string;
  slackChannel?: string;
  chart: ChartSource;
  values: Record<string, unknown>;
  /** Absolute paths, in order. */
  valuesFiles: string[];
  scaling: ClusterScaling[];
  secrets: SecretMapping[];
  /** Its own waves, instead of its environment's. */
  rollout?: RolloutStrategy;
}

export const releaseKey = (release: Pick<Release, 'name' | 'namespace'>) =>
  `${release.name}.${release.namespace}`;

/** A release's replica counts for one cluster (none: the chart's own). */
export const replicasFor = (release: Pick<Release, 'scaling'>, cluster: string): ReplicaCount[] =>
  release.scaling.find((entry) => entry.cluster === cluster)?.replicas ?? [];
