import { mkdirSync } from 'node:fs';
import type { KubeObject } from '../adapters/kube-objects.js';
import {
  fluxComponents,
  fluxPaths,
  fluxPortRequests,
  fluxPorts,
  gitServerScript,
  installFluxCrds,
  loadFluxCrds,
} from './flux.js';
import type { SandboxPaths } from './layout.js';
import { allocatePorts, localPortProbe } from './ports.js';
import { writeState, type ComponentRecord, type SandboxState } from './state.js';

const CRD_TIMEOUT_MS = 120_000;

/** What `up --flux` needs before the sandbox folder is recreated. */
export interface PreparedFlux {
  crds: KubeObject[];
}

/** Reads Flux's CRDs and records the node binary that runs the git server. */
export async function prepareFlux(
  env: NodeJS.ProcessEnv,
  binaries: Record<string, string>,
): Promise<PreparedFlux> {
  binaries.node = process.execPath;
  return { crds: await loadFluxCrds(env) };
}

/**
 * Once every cluster is up: Flux's CRDs and namespace into each cluster (the controllers refuse
 * to start without their kinds), then the git server and every cluster's three controllers.
 */
export async function runFlux(
  prepared: PreparedFlux,
  paths: SandboxPaths,
  state: SandboxState,
  start: (record: ComponentRecord) => Promise<void>,
): Promise<void> {
  const ports = fluxPorts(
    await allocatePorts(fluxPortRequests(state.clusters), localPortProbe),
    state.clusters,
  );
  const { gitRoot, artifacts } = fluxPaths(paths);
  mkdirSync(gitRoot, { recursive: true });
  for (const cluster of state.clusters) mkdirSync(artifacts(cluster), { recursive: true });
  state.flux = { ports, gitRoot };
  await Promise.all(
    state.clusters.map((context) =>
      installFluxCrds({ kubeconfig: paths.kubeconfig, context }, prepared.crds, CRD_TIMEOUT_MS),
    ),
  );
  const records = fluxComponents(paths, ports, gitServerScript()).map((definition) => ({ definition }));
  state.components.push(...records);
  writeState(paths.state, state);
  await Promise.all(records.map(start));
}
