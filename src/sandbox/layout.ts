import { homedir } from 'node:os';
import { join } from 'node:path';

/** Cluster names for the first six clusters: the seed's fleet. A cluster name is its context name. */
export const CLUSTER_NAMES = [
  'dev-us-central1-0',
  'dev-europe-west1-0',
  'staging-us-central1',
  'prod-europe-west1',
  'prod-us-central1',
  'prod-asia-east1',
] as const;

export const MAX_CLUSTERS = CLUSTER_NAMES.length;
export const DEFAULT_CLUSTERS = 3;
export const OPENBAO_ROOT_TOKEN = 'root';
/** A Pod whose container image tag ends like this never becomes Ready (see assets/kwok/stages.yaml). */
export const BROKEN_IMAGE_SUFFIX = '-broken';
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const NODES_PER_CLUSTER = 2;

export function defaultSandboxDir(env: NodeJS.ProcessEnv): string {
  if (env.REGATTA_SANDBOX_DIR) return env.REGATTA_SANDBOX_DIR;
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'regatta', 'sandbox');
}

/** Every path inside a sandbox folder, in one place. */
export function sandboxPaths(dir: string) {
  return {
    dir,
    state: join(dir, 'state.json'),
    kubeconfig: join(dir, 'kubeconfig'),
    bin: join(dir, 'bin'),
    logs: join(dir, 'logs'),
    log: (component: string) => join(dir, 'logs', `${component.replace(/\//g, '.')}.log`),
    etcdData: join(dir, 'etcd'),
    openbaoHome: join(dir, 'openbao'),
    chartmuseumStorage: join(dir, 'chartmuseum'),
    registryConfig: join(dir, 'registry', 'config.yml'),
    registryStorage: join(dir, 'registry', 'data'),
    cluster: (name: string) => {
      const base = join(dir, 'clusters', name);
      return {
        dir: base,
        caCert: join(base, 'ca.crt'),
        caKey: join(base, 'ca.key'),
        servingCert: join(base, 'apiserver.crt'),
        servingKey: join(base, 'apiserver.key'),
        serviceAccountPublic: join(base, 'sa.pub'),
        serviceAccountPrivate: join(base, 'sa.key'),
        adminKubeconfig: join(base, 'admin.kubeconfig'),
        /** The admin reaching the cluster as every client does: through its proxy, if it has one. */
        clientKubeconfig: join(base, 'client.kubeconfig'),
        controllerManagerKubeconfig: join(base, 'controller-manager.kubeconfig'),
        schedulerKubeconfig: join(base, 'scheduler.kubeconfig'),
      };
    },
  };
}

export type SandboxPaths = ReturnType<typeof sandboxPaths>;
