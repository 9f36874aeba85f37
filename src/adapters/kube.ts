import { delimiter } from 'node:path';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { httpRequest } from './http.js';
import { stopAtOnce } from './shutdown.js';
import { timeoutSignal } from './timeout-signal.js';
import * as k8s from '@kubernetes/client-node';

/** A connection to one cluster, by kubeconfig file(s) and context. */
export interface KubeTarget {
  /** One file, or several joined with ':' as in $KUBECONFIG (merged, the first one winning). */
  kubeconfig: string;
  context: string;
  /** Per request, default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** How long one request to an API server may take before it is aborted (not just abandoned). */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The target whose requests are aborted within `ms` (never later than its own timeout): for work
 * that must end by a deadline. Whole seconds, at least one: loadConfig keeps one client per value.
 */
export function withinMs(target: KubeTarget, ms: number): KubeTarget {
  const own = target.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const within = Math.max(1, Math.ceil(ms / 1000)) * 1000;
  return within >= own ? target : { ...target, timeoutMs: within };
}

/**
 * Idle connections kept open per API server after a burst. A deploy of hundreds of targets takes
 * hundreds of leases at once, and Node's default (256 idle per server) kept their connections
 * open to the end: memory that every helm process spawned later paid for again (fork copies the
 * page tables). Not a cap on connections in use: node-fetch 2 reports a spurious "Premature
 * close" when a queued request takes over a socket before the previous response closed.
 */
export const MAX_IDLE_SOCKETS_PER_CLUSTER = 16;

/** The TLS material of a request, to tell when a cached context no longer fits. */
type TlsMaterial = Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase'>;
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;

/** Pure: the same certificates and keys (contents, not object identity: client-node reads them per request). */
export function sameTlsMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  const text = (value: unknown): string =>
    Array.isArray(value)
      ? value.map(text).join('\0')
      : Buffer.isBuffer(value) || typeof value === 'string'
        ? String(value)
        : JSON.stringify(value ?? null);
  return TLS_FIELDS.every((field) => text(a[field]) === text(b[field]));
}

/**
 * Keeps one keep-alive agent per cluster: a deploy asks each API server many times, and a TLS
 * handshake (with its key parse) per request was a sixth of a no-op deploy's time. The agent
 * shares one TLS context (Node would otherwise parse the CA and key again for every new
 * connection) and keeps at most MAX_IDLE_SOCKETS_PER_CLUSTER of them idle.
 */
class PooledKubeConfig extends k8s.KubeConfig {
  constructor(
    private readonly timeoutMs: number,
    /** Shared by every config of the same cluster, whatever its timeout (reachability uses 10 s). */
    private readonly pool: { pooled?: { agent: https.Agent; material: TlsMaterial } },
  ) {
    super();
  }
  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent instanceof https.Agent) {
      const options = agent.options as https.AgentOptions;
      // An exec credential plugin may hand out new client certificates: a new context then (the
      // old agent's requests in flight finish; its idle connections do not keep the process up).
      if (!this.pool.pooled || !sameTlsMaterial(this.pool.pooled.material, options)) {
        const { ca, cert, key, pfx, passphrase, ...rest } = options;
        const material = { ca, cert, key, pfx, passphrase };
        this.pool.pooled = {
          material,
          agent: new https.Agent({
            ...rest,
            secureContext: tls.createSecureContext(material),
            keepAlive: true,
            maxFreeSockets: MAX_IDLE_SOCKETS_PER_CLUSTER,
          }),
        };
      }
      context.setAgent(this.pool.pooled.agent);
    }
    // A black-holed API server never answers: the request itself is aborted, so no socket keeps
    // the process alive past the error (racing a timer against it would not close anything).
    context.setSignal(AbortSignal.any([timeoutSignal(this.timeoutMs), stopAtOnce.signal]));
  }
}

/** Reads a kubeconfig path list as kubectl does: every file merged, the first one to define a name wins. */
function loadFiles(config: k8s.KubeConfig, kubeconfig: string): void {
  const [first, ...rest] = kubeconfig.split(delimiter).filter(Boolean);
  config.loadFromFile(first ?? kubeconfig);
  for (const file of rest) {
    const more = new k8s.KubeConfig();
    more.loadFromFile(file);
    const has = (items: readonly { name: string }[], name: string) =>
      items.some((item) => item.name === name);
    for (const cluster of more.clusters) if (!has(config.clusters, cluster.name)) config.addCluster(cluster);
    for (const user of more.users) if (!has(config.users, user.name)) config.addUser(user);
    for (const context of more.contexts) if (!has(config.contexts, context.name)) config.addContext(context);
  }
}

const configs = new Map<string, k8s.KubeConfig>();
const pools = new Map<string, ConstructorParameters<typeof PooledKubeConfig>[1]>();

/** One parsed kubeconfig per file and context for the life of the process (a deploy reads many releases). */
export function loadConfig(target: KubeTarget): k8s.KubeConfig {
  const timeoutMs = target.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const key = `${target.kubeconfig}\0${target.context}\0${timeoutMs}`;
  let config = configs.get(key);
  if (!config) {
    const cluster = `${target.kubeconfig}\0${target.context}`;
    if (!pools.has(cluster)) pools.set(cluster, {});
    config = new PooledKubeConfig(timeoutMs, pools.get(cluster)!);
    loadFiles(config, target.kubeconfig);
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
    loadFiles(config, target.kubeconfig);
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

/** The API server's own message when `error` is its refusal of a request; undefined otherwise. */
export function apiRefusal(error: unknown): string | undefined {
  return error instanceof k8s.ApiException ? apiMessage(error) : undefined;
}

/** The Status object the API server answered a refused request with, when its body holds one. */
export function apiStatus(
  error: k8s.ApiException<unknown>,
): { message?: string; details?: { kind?: string; name?: string } } | undefined {
  try {
    const status: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    return typeof status === 'object' && status !== null ? status : undefined;
  } catch {
    return undefined;
  }
}

/** The API server's own message (its Status body), not the client's multi-line dump. */
export function apiMessage(error: k8s.ApiException<unknown>): string {
  return apiStatus(error)?.message ?? `HTTP ${error.code}`;
}

/**
 * Creates a namespace unless it exists (another deploy may create it at the same moment).
 * `missing`: the API server just said it does not exist, so it is created without a look first.
 */
export async function ensureNamespace(
  target: KubeTarget,
  name: string,
  options: { missing?: boolean } = {},
): Promise<void> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  if (!options.missing) {
    try {
      await api.readNamespace({ name });
      return;
    } catch (error) {
      if (!(error instanceof k8s.ApiException)) throw error;
      if (error.code !== 404) throw new Error(`cannot read namespace ${name}: ${apiMessage(error)}`);
    }
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

/**
 * Whether the identity of a kubeconfig (its current context) may list Pods yet: an API server
 * that just started can answer /readyz while its authorizer still says "forbidden".
 */
export async function canListPods(kubeconfig: string): Promise<boolean> {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfig);
  try {
    await config.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces({ limit: 1 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a cluster runs workloads again, end to end (deployment and replica-set controllers,
 * scheduler, kubelet — kwok here): a probe Deployment in kube-system is created if absent and
 * checked; once Available it is deleted and true returned.
 */
export async function probeDeploymentRuns(kubeconfig: string, name: string): Promise<boolean> {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfig);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const namespace = 'kube-system';
  try {
    const deployment = await apps
      .readNamespacedDeployment({ namespace, name })
      .catch(async (error: unknown) => {
        if (!(error instanceof k8s.ApiException) || error.code !== 404) throw error;
        const labels = { app: name };
        return apps.createNamespacedDeployment({
          namespace,
          body: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name, namespace },
            spec: {
              replicas: 1,
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: { containers: [{ name: 'probe', image: 'regatta.local/probe:1' }] },
              },
            },
          },
        });
      });
    if ((deployment.status?.availableReplicas ?? 0) < 1) return false;
    await apps.deleteNamespacedDeployment({ namespace, name });
    return true;
  } catch {
    return false;
  }
}
