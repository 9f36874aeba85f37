import { isRunning } from '../adapters/process.js';
import {
  addToxic,
  ensureProxy,
  listToxics,
  removeToxic,
  setProxyEnabled,
  type ToxiproxyApi,
} from '../adapters/toxiproxy.js';
import { UserError } from '../errors.js';
import { sandboxPaths } from './layout.js';
import { requireState, writeState, type LinkRecord, type SandboxState } from './state.js';
import { desiredToxics, toxicChanges, withFault, type Fault } from './toxics.js';

export interface LinkStatus extends LinkRecord {
  cluster: string;
  /** Where clients connect: the kubeconfig's server. */
  listen: string;
  upstream: string;
}

function api(state: SandboxState): ToxiproxyApi {
  return { url: `http://127.0.0.1:${state.ports.toxiproxy}` };
}

function clusterPorts(state: SandboxState, cluster: string) {
  const ports = state.ports.clusters.find((candidate) => candidate.name === cluster);
  if (!ports) {
    throw new UserError(`no cluster named ${cluster} in this sandbox`, {
      hint: `clusters: ${state.clusters.join(', ')}`,
    });
  }
  return ports;
}

/** The address clients use for a cluster's API server: its proxy's with --latency, else its own. */
export function clientServer(state: SandboxState, cluster: string): string {
  const ports = clusterPorts(state, cluster);
  return `https://127.0.0.1:${ports.proxy ?? ports.apiserver}`;
}

export function linkStatuses(state: SandboxState): LinkStatus[] {
  if (!state.network) return [];
  return state.clusters.map((cluster) => {
    const ports = clusterPorts(state, cluster);
    return {
      cluster,
      listen: `127.0.0.1:${ports.proxy}`,
      upstream: `127.0.0.1:${ports.apiserver}`,
      ...(state.network?.links[cluster] as LinkRecord),
    };
  });
}

/** Makes the cluster's proxy carry exactly the toxics its link and faults call for. */
async function syncLink(state: SandboxState, cluster: string): Promise<void> {
  const record = state.network?.links[cluster] as LinkRecord;
  const current = await listToxics(api(state), cluster);
  const { remove, add } = toxicChanges(current, desiredToxics(record.link, record.faults));
  for (const name of remove) await removeToxic(api(state), cluster, name);
  for (const toxic of add) await addToxic(api(state), cluster, toxic);
}

/** After `up` started toxiproxy: one proxy per cluster in front of its API server, with its latency. */
export async function configureProxies(state: SandboxState): Promise<void> {
  for (const cluster of state.clusters) {
    const ports = clusterPorts(state, cluster);
    await ensureProxy(api(state), {
      name: cluster,
      listen: `127.0.0.1:${ports.proxy}`,
      upstream: `127.0.0.1:${ports.apiserver}`,
    });
    await syncLink(state, cluster);
  }
}

function requireNetwork(dir: string, state: SandboxState): void {
  if (!state.network) {
    throw new UserError(`the sandbox in ${dir} has no network proxy`, {
      hint: 'start it with `regatta sandbox up --latency seed` (or --latency zero: a proxy without latency)',
    });
  }
  const toxiproxy = state.components.find((record) => record.definition.name === 'toxiproxy');
  if (!toxiproxy?.process || !isRunning(toxiproxy.process)) {
    throw new UserError(`toxiproxy of the sandbox in ${dir} is not running`, {
      hint: `run \`regatta sandbox down --dir ${dir}\` and \`regatta sandbox up --latency ...\` again`,
    });
  }
}

/** `sandbox fault CLUSTER ...`: records the fault (or clears them all) and applies it at once. */
export async function applyFault(dir: string, cluster: string, fault: Fault | 'clear'): Promise<LinkStatus> {
  const state = requireState(dir);
  clusterPorts(state, cluster);
  requireNetwork(dir, state);
  const record = state.network?.links[cluster] as LinkRecord;
  record.faults = fault === 'clear' ? {} : withFault(record.faults, fault);
  await syncLink(state, cluster);
  writeState(sandboxPaths(dir).state, state);
  return linkStatuses(state).find((link) => link.cluster === cluster) as LinkStatus;
}

/**
 * stop-cluster / start-cluster: a stopped cluster's proxy stops listening too, so clients get
 * "connection refused" as they would from the API server itself, not a connection that closes.
 */
export async function setClusterReachable(
  state: SandboxState,
  cluster: string,
  reachable: boolean,
): Promise<void> {
  if (!state.network) return;
  await setProxyEnabled(api(state), cluster, reachable);
}
