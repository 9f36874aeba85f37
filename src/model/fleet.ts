import type { RolloutStrategy } from './rollout.js';
import type { SourcePosition } from '../errors.js';

export interface ChartRepository {
  url: string;
  type: 'chartmuseum' | 'oci';
  /** OCI over plain HTTP (a local registry). Defaults to true for 127.0.0.1 and localhost. */
  plainHttp: boolean;
  /** ChartMuseum basic auth: the user, and the variable holding the password (never the password). */
  basicAuth?: { username: string; passwordEnv: string };
}

export interface Environment {
  name: string;
  branches: string[];
  /** Only needed when a release of the environment names a repository chart (and for `chart release`). */
  chartRepository?: ChartRepository;
  /** Waves and gates; absent: every cluster at once. */
  rollout?: RolloutStrategy;
  /** Who applies releases: Regatta running helm, or Flux pulling what Regatta commits. */
  engine: 'helm' | 'flux';
  /** engine: flux — the repository (`${VAR}` not yet expanded) and branch every cluster syncs. */
  gitops?: { repo: string; branch: string; position: SourcePosition };
  /**
   * Flux engine: where a HelmRelease's secret values come from. `vault`: Regatta reads Vault at
   * deploy time and creates the Secret each HelmRelease reads; `external-secrets`: Regatta commits
   * ExternalSecret objects and the External Secrets Operator in each cluster reads Vault.
   */
  secrets: SecretsSource;
  /** The ClusterSecretStore those ExternalSecrets read from (`secrets: external-secrets`). */
  secretStore: string;
}

export const SECRETS_SOURCES = ['vault', 'external-secrets'] as const;
export type SecretsSource = (typeof SECRETS_SOURCES)[number];
export const DEFAULT_SECRET_STORE = 'vault';

/**
 * The environment's chart repository, on a path that needs one: loading refuses a release with a
 * repository chart in an environment without one, so its absence here is a bug.
 */
export function chartRepositoryOf(
  environment: Pick<Environment, 'name' | 'chartRepository'>,
): ChartRepository {
  if (!environment.chartRepository)
    throw new Error(`environment ${environment.name} has no chart repository`);
  return environment.chartRepository;
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

export type VaultAuth =
  | { kind: 'token'; env?: string; file?: string }
  | { kind: 'approle'; mount: string; roleId: string; secretIdEnv?: string; secretIdFile?: string };

export interface VaultSettings {
  address?: string;
  namespace?: string;
  caFile?: string;
  auth: VaultAuth;
}

export interface Fleet {
  file: string;
  vault: VaultSettings;
  environments: Record<string, Environment>;
  clusters: Cluster[];
  slackWebhookUrlEnv?: string;
}
