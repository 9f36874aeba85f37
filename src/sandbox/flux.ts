import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { moduleSourceDir } from '../adapters/go.js';
import { applyObjects, crdEstablished, type KubeObject } from '../adapters/kube-objects.js';
import { packageRoot, peersDir } from '../paths.js';
import type { ComponentDefinition } from './components.js';
import type { SandboxPaths } from './layout.js';
import type { PortRequest } from './ports.js';

/** Where Flux's controllers run their objects and leader-election-free bookkeeping. */
export const FLUX_NAMESPACE = 'flux-system';

/** Each controller module and the wrapper module under peers/ that pins it. */
const CONTROLLER_MODULES = [
  { peer: 'source-controller', module: 'github.com/fluxcd/source-controller' },
  { peer: 'kustomize-controller', module: 'github.com/fluxcd/kustomize-controller' },
  { peer: 'helm-controller', module: 'github.com/fluxcd/helm-controller' },
] as const;

export interface FluxClusterPorts {
  name: string;
  sourceMetrics: number;
  sourceHealth: number;
  /** source-controller's artifact server, advertised to the other two controllers. */
  sourceStorage: number;
  kustomizeMetrics: number;
  kustomizeHealth: number;
  helmMetrics: number;
  helmHealth: number;
}

export interface FluxPorts {
  git: number;
  clusters: FluxClusterPorts[];
}

/** What `up --flux` adds to the sandbox's state. */
export interface FluxState {
  ports: FluxPorts;
  gitRoot: string;
}

const CLUSTER_PORT_NAMES = [
  'sourceMetrics',
  'sourceHealth',
  'sourceStorage',
  'kustomizeMetrics',
  'kustomizeHealth',
  'helmMetrics',
  'helmHealth',
] as const;

export function fluxPortRequests(clusters: readonly string[]): PortRequest[] {
  return [
    { name: 'git', preferred: 3000 },
    ...clusters.flatMap((cluster) => CLUSTER_PORT_NAMES.map((port) => ({ name: `${cluster}/${port}` }))),
  ];
}

export function fluxPorts(allocated: ReadonlyMap<string, number>, clusters: readonly string[]): FluxPorts {
  const port = (name: string) => {
    const value = allocated.get(name);
    if (value === undefined) throw new Error(`no port allocated for ${name}`);
    return value;
  };
  return {
    git: port('git'),
    clusters: clusters.map((name) => ({
      name,
      ...(Object.fromEntries(CLUSTER_PORT_NAMES.map((key) => [key, port(`${name}/${key}`)])) as Omit<
        FluxClusterPorts,
        'name'
      >),
    })),
  };
}

export function fluxPaths(paths: SandboxPaths) {
  return {
    gitRoot: join(paths.dir, 'git'),
    artifacts: (cluster: string) => join(paths.cluster(cluster).dir, 'flux-artifacts'),
  };
}

/** The compiled git server program (dist/src/sandbox/git-server.js), run by node. */
export function gitServerScript(): string {
  // From packageRoot, not import.meta.url: the command line runs as a bundle in dist/cli/.
  return join(packageRoot, 'dist', 'src', 'sandbox', 'git-server.js');
}

function controller(
  paths: SandboxPaths,
  cluster: string,
  name: string,
  ports: { metrics: number; health: number },
  extraArgs: string[],
): ComponentDefinition {
  return {
    name: `${cluster}/${name}`,
    binary: name,
    cluster,
    phase: 2,
    args: [
      `--metrics-addr=127.0.0.1:${ports.metrics}`,
      `--health-addr=127.0.0.1:${ports.health}`,
      '--watch-all-namespaces=true',
      '--enable-leader-election=false',
      '--log-encoding=console',
      ...extraArgs,
    ],
    // controller-runtime reads KUBECONFIG; RUNTIME_NAMESPACE is where Flux looks for its own objects.
    // Flux reaches its API server as helm and kubectl do: through the cluster's proxy, if any, so a
    // `sandbox fault` there reaches Flux too.
    env: { KUBECONFIG: paths.cluster(cluster).clientKubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE },
    health: { url: `http://127.0.0.1:${ports.health}/healthz` },
  };
}

/** The git server and every cluster's three Flux controllers. Pure: paths and ports in, command lines out. */
export function fluxComponents(paths: SandboxPaths, ports: FluxPorts, script: string): ComponentDefinition[] {
  const { gitRoot, artifacts } = fluxPaths(paths);
  const git: ComponentDefinition = {
    name: 'git-server',
    binary: 'node',
    phase: 1,
    args: [script, '--port', String(ports.git), '--root', gitRoot],
    health: { url: `http://127.0.0.1:${ports.git}/healthz` },
  };
  return [
    git,
    ...ports.clusters.flatMap((cluster) => [
      controller(
        paths,
        cluster.name,
        'source-controller',
        { metrics: cluster.sourceMetrics, health: cluster.sourceHealth },
        [
          `--storage-path=${artifacts(cluster.name)}`,
          `--storage-addr=127.0.0.1:${cluster.sourceStorage}`,
          `--storage-adv-addr=127.0.0.1:${cluster.sourceStorage}`,
        ],
      ),
      controller(
        paths,
        cluster.name,
        'kustomize-controller',
        { metrics: cluster.kustomizeMetrics, health: cluster.kustomizeHealth },
        ['--no-remote-bases=true'],
      ),
      controller(
        paths,
        cluster.name,
        'helm-controller',
        { metrics: cluster.helmMetrics, health: cluster.helmHealth },
        [],
      ),
    ]),
  ];
}

/** Flux's CRDs, read from each controller's own module source (config/crd/bases) in Go's module cache. */
export async function loadFluxCrds(env: NodeJS.ProcessEnv): Promise<KubeObject[]> {
  const crds: KubeObject[] = [];
  for (const { peer, module } of CONTROLLER_MODULES) {
    const dir = join(await moduleSourceDir(join(peersDir(), peer), module, env), 'config', 'crd', 'bases');
    for (const file of readdirSync(dir)
      .filter((name) => name.endsWith('.yaml'))
      .sort()) {
      for (const document of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const object = document.toJSON() as KubeObject | null;
        if (object?.kind === 'CustomResourceDefinition') crds.push(object);
      }
    }
  }
  return crds;
}

/** Applies the CRDs and the flux-system namespace to one cluster and waits until every kind is served. */
export async function installFluxCrds(
  target: { kubeconfig: string; context: string },
  crds: readonly KubeObject[],
  timeoutMs: number,
): Promise<void> {
  await applyObjects(target, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUX_NAMESPACE } },
    ...crds,
  ]);
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    while (!(await crdEstablished(target, crd.metadata.name))) {
      if (Date.now() > deadline)
        throw new Error(
          `${target.context}: CRD ${crd.metadata.name} not Established after ${timeoutMs / 1000}s`,
        );
      await sleep(200);
    }
  }
}
