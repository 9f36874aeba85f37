import type { SourcePosition } from '../errors.js';

export interface ChartRepository {
  url: string;
  type: 'chartmuseum' | 'oci';
  /** OCI over plain HTTP (a local registry). Defaults to true for 127.0.0.1 and localhost. */
  plainHttp: boolean;
}

export interface Environment {
  name: string;
  branches: string[];
  chartRepository: ChartRepository;
}

export interface Cluster {
  /** Also its kube context unless `context` says otherwise. */
  name: string;
  context: string;
  kubeconfig?: string;
  env: string;
  cloud: boolean;
  region: string;
  labels: Record<string, string>;
  /** More global.* values for every chart deployed here. */
  globals: Record<string, unknown>;
  position: SourcePosition;
}

export interface Fleet {
  file: string;
  environments: Record<string, Environment>;
  clusters: Cluster[];
  slackWebhookUrlEnv?: string;
}
