import type { ReplicaCount } from './release.js';

/** A chart as the plan names it; serializable, no I/O needed to print it. */
export type ChartReference =
  | { kind: 'path'; path: string }
  | { kind: 'repo'; repoUrl: string; name: string; version: string }
  | { kind: 'oci'; url: string; version: string; plainHttp: boolean };

/** One release going to one cluster. */
export interface PlannedTarget {
  release: string;
  namespace: string;
  environment: string;
  cluster: string;
  context: string;
  kubeconfig?: string;
  chartName: string;
  chartVersion: string;
  /** Identifies the chart's content: a hash of a chart folder's files, or of repository, name and version. */
  chartDigest: string;
  chart: ChartReference;
  replicas: ReplicaCount[];
  /** Names only: values never enter a plan. */
  secretIds: string[];
  slackChannel?: string;
  releaseFile: string;
}

export type PlanAction = 'install' | 'upgrade' | 'unchanged';

export interface PlanEntry {
  target: PlannedTarget;
  action: PlanAction;
  currentRevision?: number;
  currentChartVersion?: string;
  /** The deploy that made the live revision, if Regatta did. */
  currentDeployId?: string;
  /** Why an upgrade: chart version, manifests and/or values differ. */
  reasons: string[];
  /** An install over a release uninstalled with its history kept (helm must replace it). */
  overHistory?: boolean;
  /** The live revision was left pending by a killed helm: unlock it (mark it failed) first. */
  unlock?: { revision: number; status: string };
}

export interface Plan {
  entries: PlanEntry[];
}
