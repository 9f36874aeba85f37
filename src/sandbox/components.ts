import { join } from 'node:path';
import { stringify } from 'yaml';
import { KWOK_NODE_ANNOTATION, OPENBAO_ROOT_TOKEN, type SandboxPaths } from './layout.js';

/** How the sandbox knows a component is serving. */
export interface HealthCheck {
  url: string;
  /** Trust this CA file (kube-apiserver's serving cert). */
  caFile?: string;
  /** In-memory self-signed certs (controller-manager, scheduler): nothing to verify against. */
  insecure?: boolean;
}

/** One process of the sandbox, fully described: what `up` starts and `start-cluster` restarts. */
export interface ComponentDefinition {
  /** `etcd`, `openbao`, or `<cluster>/kube-apiserver` etc. */
  name: string;
  /** Key into the resolved binaries. */
  binary: string;
  args: string[];
  env?: Record<string, string>;
  health: HealthCheck;
  cluster?: string;
  /** Components of one phase start together, after every earlier phase is healthy. */
  phase: 0 | 1 | 2;
}

export interface ClusterPorts {
  name: string;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
  /** Where clients reach this API server through toxiproxy (with --latency). */
  proxy?: number;
}

export interface SandboxPorts {
  etcd: number;
  etcdPeer: number;
  openbao: number;
  chartmuseum: number;
  registry: number;
  /** toxiproxy's HTTP API (with --latency). */
  toxiproxy?: number;
  clusters: ClusterPorts[];
}

const SERVICE_CIDR = '10.96.0.0/16';

export function registryConfig(paths: SandboxPaths, port: number): string {
  return stringify({
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: paths.registryStorage }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}` },
  });
}

function clusterComponents(
  paths: SandboxPaths,
  ports: SandboxPorts,
  cluster: ClusterPorts,
  kwokStages: string,
) {
  const files = paths.cluster(cluster.name);
  const apiserver: ComponentDefinition = {
    name: `${cluster.name}/kube-apiserver`,
    binary: 'kube-apiserver',
    cluster: cluster.name,
    phase: 1,
    args: [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      // One etcd for the whole sandbox, each cluster under its own prefix: one process instead of six.
      `--etcd-prefix=/registry/${cluster.name}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${cluster.apiserver}`,
      `--cert-dir=${files.dir}`,
      `--tls-cert-file=${files.servingCert}`,
      `--tls-private-key-file=${files.servingKey}`,
      `--client-ca-file=${files.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${files.serviceAccountPublic}`,
      `--service-account-signing-key-file=${files.serviceAccountPrivate}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--event-ttl=1h',
    ],
    health: { url: `https://127.0.0.1:${cluster.apiserver}/readyz`, caFile: files.caCert },
  };
  const controllerManager: ComponentDefinition = {
    name: `${cluster.name}/kube-controller-manager`,
    binary: 'kube-controller-manager',
    cluster: cluster.name,
    phase: 2,
    args: [
      `--kubeconfig=${files.controllerManagerKubeconfig}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${files.serviceAccountPrivate}`,
      `--root-ca-file=${files.caCert}`,
      `--cluster-signing-cert-file=${files.caCert}`,
      `--cluster-signing-key-file=${files.caKey}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${cluster.controllerManager}`,
      '--profiling=false',
    ],
    health: { url: `https://127.0.0.1:${cluster.controllerManager}/healthz`, insecure: true },
  };
  const scheduler: ComponentDefinition = {
    name: `${cluster.name}/kube-scheduler`,
    binary: 'kube-scheduler',
    cluster: cluster.name,
    phase: 2,
    args: [
      `--kubeconfig=${files.schedulerKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${cluster.scheduler}`,
      '--profiling=false',
    ],
    health: { url: `https://127.0.0.1:${cluster.scheduler}/healthz`, insecure: true },
  };
  const kwok: ComponentDefinition = {
    name: `${cluster.name}/kwok`,
    binary: 'kwok',
    cluster: cluster.name,
    phase: 2,
    args: [
      `--kubeconfig=${files.adminKubeconfig}`,
      `--config=${kwokStages}`,
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
      '--node-ip=127.0.0.1',
      `--server-address=127.0.0.1:${cluster.kwok}`,
    ],
    health: { url: `http://127.0.0.1:${cluster.kwok}/healthz` },
  };
  return [apiserver, controllerManager, scheduler, kwok];
}

/** One proxy process for every cluster; its proxies are created through its API once it is up. */
function toxiproxyComponent(port: number): ComponentDefinition {
  return {
    name: 'toxiproxy',
    binary: 'toxiproxy',
    phase: 0,
    args: ['-host=127.0.0.1', `-port=${port}`],
    // Below error it logs every connection accepted (info) and closed ("Source terminated", warn):
    // a line per helm or kubectl connection. Errors (an upstream it cannot dial) stay.
    env: { LOG_LEVEL: 'error' },
    health: { url: `http://127.0.0.1:${port}/version` },
  };
}

/** Every process of a sandbox, in start order. Pure: paths and ports in, command lines out. */
export function sandboxComponents(
  paths: SandboxPaths,
  ports: SandboxPorts,
  kwokStages: string,
): ComponentDefinition[] {
  const etcdPeer = `http://127.0.0.1:${ports.etcdPeer}`;
  const etcdClient = `http://127.0.0.1:${ports.etcd}`;
  return [
    {
      name: 'etcd',
      binary: 'etcd',
      phase: 0,
      args: [
        '--name=regatta-sandbox',
        `--data-dir=${join(paths.etcdData, 'data')}`,
        `--listen-client-urls=${etcdClient}`,
        `--advertise-client-urls=${etcdClient}`,
        `--listen-peer-urls=${etcdPeer}`,
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=regatta-sandbox=${etcdPeer}`,
        // A throwaway sandbox: durability is not worth fsync latency on every write.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      health: { url: `${etcdClient}/health` },
    },
    {
      name: 'openbao',
      binary: 'bao',
      phase: 1,
      args: [
        'server',
        '-dev',
        `-dev-root-token-id=${OPENBAO_ROOT_TOKEN}`,
        `-dev-listen-address=127.0.0.1:${ports.openbao}`,
      ],
      // Dev mode writes a token helper file into HOME: keep it inside the sandbox.
      env: { HOME: paths.openbaoHome },
      health: { url: `http://127.0.0.1:${ports.openbao}/v1/sys/health` },
    },
    {
      name: 'chartmuseum',
      binary: 'chartmuseum',
      phase: 1,
      args: [
        '--listen-host=127.0.0.1',
        `--port=${ports.chartmuseum}`,
        '--storage=local',
        `--storage-local-rootdir=${paths.chartmuseumStorage}`,
        // `regatta chart release --force` replaces a version; refusing is Regatta's job.
        '--allow-overwrite',
      ],
      health: { url: `http://127.0.0.1:${ports.chartmuseum}/health` },
    },
    {
      name: 'registry',
      binary: 'registry',
      phase: 1,
      args: ['serve', paths.registryConfig],
      health: { url: `http://127.0.0.1:${ports.registry}/v2/` },
    },
    ...(ports.toxiproxy === undefined ? [] : [toxiproxyComponent(ports.toxiproxy)]),
    ...ports.clusters.flatMap((cluster) => clusterComponents(paths, ports, cluster, kwokStages)),
  ];
}
