import { gunzipSync } from 'node:zlib';
import * as https from 'node:https';
import { httpRequest } from './http.js';
import * as k8s from '@kubernetes/client-node';

/** A connection to one cluster, by kubeconfig file and context. */
export interface KubeTarget {
  kubeconfig: string;
  context: string;
}

/**
 * Keeps one keep-alive agent per cluster: a deploy asks each API server many times, and a TLS
 * handshake (with its key parse) per request was a sixth of a no-op deploy's time.
 */
class PooledKubeConfig extends k8s.KubeConfig {
  private pooled: https.Agent | undefined;

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent instanceof https.Agent) {
      this.pooled ??= new https.Agent({ ...agent.options, keepAlive: true });
      context.setAgent(this.pooled);
    }
  }
}

const configs = new Map<string, k8s.KubeConfig>();

/** One parsed kubeconfig per file and context for the life of the process (a deploy reads many releases). */
function loadConfig(target: KubeTarget): k8s.KubeConfig {
  const key = `${target.kubeconfig}\0${target.context}`;
  let config = configs.get(key);
  if (!config) {
    config = new PooledKubeConfig();
    config.loadFromFile(target.kubeconfig);
    config.setCurrentContext(target.context);
    configs.set(key, config);
  }
  return config;
}

/** Why a kubeconfig cannot reach a context (missing file, no such context), or undefined. */
export function contextProblem(target: KubeTarget): string | undefined {
  let config: k8s.KubeConfig;
  try {
    config = new k8s.KubeConfig();
    config.loadFromFile(target.kubeconfig);
  } catch (error) {
    return `cannot read kubeconfig ${target.kubeconfig}: ${(error as Error).message.split('\n')[0]}`;
  }
  if (!config.getContextObject(target.context))
    return `kubeconfig ${target.kubeconfig} has no context ${target.context}`;
  return undefined;
}

export interface ServerVersion {
  gitVersion: string;
  major: string;
  minor: string;
}

export async function serverVersion(target: KubeTarget): Promise<ServerVersion> {
  const api = loadConfig(target).makeApiClient(k8s.VersionApi);
  const info = await api.getCode();
  return { gitVersion: info.gitVersion, major: info.major, minor: info.minor };
}

export interface NodeSummary {
  name: string;
  ready: boolean;
  kubeletVersion: string;
}

export async function listNodes(target: KubeTarget): Promise<NodeSummary[]> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const nodes = await api.listNode();
  return nodes.items.map((node) => ({
    name: node.metadata?.name ?? '',
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '',
  }));
}

/** Registers a Node object for kwok to play (kwok manages Nodes carrying its annotation). */
export async function createFakeNode(target: KubeTarget, name: string, annotation: string): Promise<void> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  try {
    await api.createNode({
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { [annotation]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            type: 'kwok',
          },
        },
      },
    });
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 409) return; // already registered
    throw error;
  }
}

/** The API server's own message (its Status body), not the client's multi-line dump. */
function apiMessage(error: k8s.ApiException<unknown>): string {
  const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
  try {
    return (JSON.parse(body) as { message?: string }).message ?? `HTTP ${error.code}`;
  } catch {
    return `HTTP ${error.code}`;
  }
}

/** Creates a namespace unless it exists (another deploy may create it at the same moment). */
export async function ensureNamespace(target: KubeTarget, name: string): Promise<void> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  try {
    await api.readNamespace({ name });
    return;
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    if (error.code !== 404) throw new Error(`cannot read namespace ${name}: ${apiMessage(error)}`);
  }
  try {
    await api.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    if (error.code !== 409) throw new Error(`cannot create namespace ${name}: ${apiMessage(error)}`);
  }
}

export async function serviceAccountExists(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<boolean> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  try {
    await api.readNamespacedServiceAccount({ namespace, name });
    return true;
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return false;
    throw error;
  }
}

/** One revision of a Helm release, read from Helm's own storage (Secrets of type helm.sh/release.v1). */
export interface HelmRevision {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
  description: string;
  updated?: string;
  labels: Record<string, string>;
  manifest: string;
  /** The user-supplied values of that revision. May hold secrets: never print. */
  config: Record<string, unknown>;
}

interface StoredRelease {
  name: string;
  namespace: string;
  version: number;
  info?: { status?: string; description?: string; last_deployed?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  manifest?: string;
  config?: Record<string, unknown>;
}

function decodeRelease(data: string): StoredRelease {
  // Kubernetes base64 around Helm's base64 around gzip (or plain JSON in old releases).
  const inner = Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64');
  const json = inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner) : inner;
  return JSON.parse(json.toString('utf8')) as StoredRelease;
}

/** Every stored revision of matching Helm releases, oldest first. */
export async function listHelmRevisions(
  target: KubeTarget,
  options: { namespace?: string; release?: string },
): Promise<HelmRevision[]> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const labelSelector = ['owner=helm', ...(options.release ? [`name=${options.release}`] : [])].join(',');
  const list = options.namespace
    ? await api.listNamespacedSecret({ namespace: options.namespace, labelSelector })
    : await api.listSecretForAllNamespaces({ labelSelector });
  return list.items
    .filter((secret) => secret.type === 'helm.sh/release.v1' && secret.data?.release)
    .map((secret) => {
      const stored = decodeRelease(secret.data?.release as string);
      return {
        name: stored.name,
        namespace: stored.namespace,
        revision: stored.version,
        status: stored.info?.status ?? 'unknown',
        chartName: stored.chart?.metadata?.name ?? '',
        chartVersion: stored.chart?.metadata?.version ?? '',
        appVersion: stored.chart?.metadata?.appVersion,
        description: stored.info?.description ?? '',
        updated: stored.info?.last_deployed,
        labels: secret.metadata?.labels ?? {},
        manifest: stored.manifest ?? '',
        config: stored.config ?? {},
      };
    })
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.revision - b.revision,
    );
}

/** GET of a raw API path (e.g. /openapi/v3) with the cluster's credentials; returns the body. */
export async function getRaw(target: KubeTarget, path: string): Promise<string> {
  const config = loadConfig(target);
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error(`context ${target.context} has no server`);
  const options: https.RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const response = await httpRequest(`${server}${path}`, {
    ca: options.ca?.toString(),
    cert: options.cert?.toString(),
    key: options.key?.toString(),
    headers: (options.headers ?? {}) as Record<string, string>,
    insecure: options.rejectUnauthorized === false,
    timeoutMs: 30_000,
  });
  if (response.status !== 200) throw new Error(`${server}${path}: HTTP ${response.status}`);
  return response.body;
}

/**
 * Asks the API server to apply an object server-side without persisting it (dry run): admission,
 * defaulting and validation all run. Returns the server's message when it refuses.
 */
export async function serverDryRun(
  target: KubeTarget,
  object: k8s.KubernetesObject,
): Promise<string | undefined> {
  const api = k8s.KubernetesObjectApi.makeApiClient(loadConfig(target));
  try {
    await api.patch(object, undefined, 'All', 'regatta', true, k8s.PatchStrategy.ServerSideApply);
    return undefined;
  } catch (error) {
    if (error instanceof k8s.ApiException) return apiMessage(error);
    throw error;
  }
}

/** The newest stored revision of one Helm release, if it has any. */
export async function latestHelmRevision(
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<HelmRevision | undefined> {
  return (await listHelmRevisions(target, { namespace, release })).at(-1);
}
