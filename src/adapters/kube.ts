import * as k8s from '@kubernetes/client-node';

/** A connection to one cluster, by kubeconfig file and context. */
export interface KubeTarget {
  kubeconfig: string;
  context: string;
}

function loadConfig(target: KubeTarget): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromFile(target.kubeconfig);
  config.setCurrentContext(target.context);
  return config;
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
