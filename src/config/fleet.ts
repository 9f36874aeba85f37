import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError, type SourcePosition } from '../errors.js';
import { redactUrlCredentials, registerSecretValue } from '../report/redact.js';
import {
  DEFAULT_SECRET_STORE,
  type ChartRepository,
  type Cluster,
  type Environment,
  type Fleet,
  type SecretsSource,
  type VaultAuth,
  type VaultSettings,
} from '../model/fleet.js';
import { fleetSchema } from './schemas.js';
import { placeClusters, readRollout, type RawRollout } from './rollout.js';
import { validateAgainst } from './validate.js';
import { parseYamlFile } from './yaml-source.js';

interface RawFleet {
  environments: Record<
    string,
    {
      branches: string[];
      engine?: 'helm' | 'flux';
      gitops?: { repo: string; branch?: string };
      secrets?: SecretsSource;
      secretStore?: string;
      chartRepository?: {
        url: string;
        type?: 'chartmuseum' | 'oci';
        plainHttp?: boolean;
        username?: string;
        passwordEnv?: string;
      };
      rollout?: RawRollout;
    }
  >;
  clusters: {
    name: string;
    context?: string;
    kubeconfig?: string;
    env: string;
    cloud?: boolean;
    region: string;
    labels?: Record<string, string>;
    globals?: Record<string, unknown>;
  }[];
  notifications?: { slack?: { webhookUrlEnv: string } };
  vault?: {
    address?: string;
    namespace?: string;
    caFile?: string;
    auth?: {
      token?: { env?: string; file?: string };
      approle?: { mount?: string; roleId: string; secretIdEnv?: string; secretIdFile?: string };
    };
  };
}

function vaultSettings(raw: RawFleet['vault'], file: string): VaultSettings {
  const relative = (path?: string) => (path ? resolve(file, '..', path) : undefined);
  const approle = raw?.auth?.approle;
  const auth: VaultAuth = approle
    ? {
        kind: 'approle',
        mount: approle.mount ?? 'approle',
        roleId: approle.roleId,
        secretIdEnv: approle.secretIdEnv,
        secretIdFile: relative(approle.secretIdFile),
      }
    : { kind: 'token', env: raw?.auth?.token?.env, file: relative(raw?.auth?.token?.file) };
  return { address: raw?.address, namespace: raw?.namespace, caFile: relative(raw?.caFile), auth };
}

export const DEFAULT_FLEET_FILE = 'regatta.yaml';

/** The environment variables the fleet file names as holding credentials: no child process needs them. */
export function credentialVariables(fleet: Fleet): string[] {
  const auth = fleet.vault.auth;
  return [
    ...(auth.kind === 'token' && auth.env ? [auth.env] : []),
    ...(auth.kind === 'approle' && auth.secretIdEnv ? [auth.secretIdEnv] : []),
    ...Object.values(fleet.environments).flatMap((env) =>
      env.chartRepository?.basicAuth ? [env.chartRepository.basicAuth.passwordEnv] : [],
    ),
    ...(fleet.slackWebhookUrlEnv ? [fleet.slackWebhookUrlEnv] : []),
  ];
}

export function findFleetFile(explicit: string | undefined, cwd: string): string {
  if (explicit) return resolve(cwd, explicit);
  const candidate = resolve(cwd, DEFAULT_FLEET_FILE);
  if (!existsSync(candidate)) {
    throw new UserError(`no ${DEFAULT_FLEET_FILE} in ${cwd}`, { hint: 'pass --fleet FILE' });
  }
  return candidate;
}

function chartRepository(
  raw: NonNullable<RawFleet['environments'][string]['chartRepository']>,
  position: SourcePosition,
): ChartRepository {
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw new UserError(`chartRepository.url is not a valid URL: ${redactUrlCredentials(raw.url)}`, {
      position,
      hint: 'write it like https://charts.example.com or oci://registry.example.com/charts',
    });
  }
  // A password in the URL works, but is never printed (redact also masks any user:password@).
  if (url.password) registerSecretValue(decodeURIComponent(url.password));
  const type = raw.type ?? (url.protocol === 'oci:' ? 'oci' : 'chartmuseum');
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  const basicAuth = raw.username
    ? { username: raw.username, passwordEnv: raw.passwordEnv ?? 'REGATTA_CHART_REPOSITORY_PASSWORD' }
    : undefined;
  return {
    url: raw.url.replace(/\/$/, ''),
    type,
    plainHttp: raw.plainHttp ?? local,
    ...(basicAuth ? { basicAuth } : {}),
  };
}

/** Reads and checks a fleet file: schema first, then the rules a schema cannot say. */
export function loadFleet(file: string): Fleet {
  const [source, extra] = parseYamlFile(file);
  if (!source) {
    throw new UserError('the fleet file is empty', {
      position: { file, line: 1, col: 1 },
      hint: 'write apiVersion: regatta/v1, kind: Fleet, environments: and clusters: (see regatta schema fleet)',
    });
  }
  if (extra) {
    throw new UserError('a fleet file holds one YAML document', {
      position: extra.positionOf([]),
      hint: 'remove this document, or merge it into the first',
    });
  }
  validateAgainst(fleetSchema, source, 'the fleet file');
  const raw = source.value as RawFleet;

  const environments: Record<string, Environment> = {};
  for (const [name, env] of Object.entries(raw.environments)) {
    const environment: Environment = {
      name,
      branches: env.branches,
      ...(env.chartRepository
        ? {
            chartRepository: chartRepository(
              env.chartRepository,
              source.positionOf(['environments', name, 'chartRepository', 'url']),
            ),
          }
        : {}),
      ...(env.rollout
        ? { rollout: readRollout(env.rollout, source, ['environments', name, 'rollout']) }
        : {}),
      engine: env.engine ?? 'helm',
      ...(env.gitops
        ? {
            gitops: {
              repo: env.gitops.repo,
              branch: env.gitops.branch ?? 'main',
              position: source.positionOf(['environments', name, 'gitops', 'repo']),
            },
          }
        : {}),
      secrets: env.secrets ?? 'vault',
      secretStore: env.secretStore ?? DEFAULT_SECRET_STORE,
    };
    // The helm engine reads Vault itself on every deploy: an ExternalSecret would have no reader.
    if (environment.secrets === 'external-secrets' && environment.engine !== 'flux')
      throw new UserError(`environment ${name}: secrets: external-secrets needs engine: flux`, {
        position: source.positionOf(['environments', name, 'secrets']),
        hint: `set environments.${name}.engine: flux, or remove secrets (the helm engine reads Vault at deploy time)`,
      });
    environments[name] = environment;
  }
  const seen = new Map<string, number>();
  const clusters: Cluster[] = raw.clusters.map((cluster, index) => {
    const position = source.positionOf(['clusters', index]);
    if (!environments[cluster.env]) {
      throw new UserError(`cluster ${cluster.name}: unknown environment "${cluster.env}"`, {
        position: source.positionOf(['clusters', index, 'env']),
        hint: `environments: ${Object.keys(environments).join(', ')}`,
      });
    }
    if (seen.has(cluster.name)) {
      throw new UserError(`cluster ${cluster.name} is listed twice`, {
        position: source.positionOf(['clusters', index, 'name']),
        hint: `remove one of the two, or rename it (the other is at line ${source.positionOf(['clusters', seen.get(cluster.name)!, 'name']).line})`,
      });
    }
    seen.set(cluster.name, index);
    return {
      name: cluster.name,
      context: cluster.context ?? cluster.name,
      kubeconfig: cluster.kubeconfig ? resolve(file, '..', cluster.kubeconfig) : undefined,
      env: cluster.env,
      cloud: cluster.cloud ?? false,
      region: cluster.region,
      labels: cluster.labels ?? {},
      globals: cluster.globals ?? {},
      position,
    };
  });
  for (const environment of Object.values(environments))
    if (environment.rollout)
      placeClusters(
        environment.rollout,
        clusters.filter((c) => c.env === environment.name),
        environment.name,
      );
  return {
    file,
    environments,
    clusters,
    slackWebhookUrlEnv: raw.notifications?.slack?.webhookUrlEnv,
    vault: vaultSettings(raw.vault, file),
  };
}
