import { sandboxPaths } from '../../src/sandbox/layout.js';
import { testSandbox } from '../integration/support/sandbox.js';
import { writeTestFleet } from '../integration/support/fleet.js';
import { readClusterState, settledStates, spawnRegatta, type ClusterState } from './common.js';

export { figure, repeat, webChart, webRelease, type ClusterState } from './common.js';

export const sandbox = testSandbox();
export const kubeconfig = sandboxPaths(sandbox.dir).kubeconfig;
export const contexts = sandbox.state.clusters as string[];

/**
 * A dev fleet over the sandbox, its twin where one cluster's image never becomes Ready, and one
 * where that cluster's rollouts take 30 s (minReadySeconds): a deploy is in flight there a while.
 */
export function faultFleet(brokenCluster = 'dev-asia-east1-0') {
  const fleet = writeTestFleet(sandbox.state);
  const broken = writeTestFleet(sandbox.state, {
    dir: fleet.dir,
    name: 'regatta-broken.yaml',
    globals: { [brokenCluster]: { imageSuffix: '-broken' } },
  });
  const slow = writeTestFleet(sandbox.state, {
    dir: fleet.dir,
    name: 'regatta-slow.yaml',
    globals: { [brokenCluster]: { minReadySeconds: 30 } },
  });
  return { fleet, broken, slow };
}

/** What one cluster of the suite's sandbox runs for a release (see readClusterState). */
export function clusterState(context: string, release: string): Promise<ClusterState> {
  return readClusterState(kubeconfig, context, release);
}

/** Waits until every cluster's workload has settled (a rollback's rollout may still finish). */
export function fleetState(release: string, settleMs = 30_000): Promise<ClusterState[]> {
  return settledStates(kubeconfig, contexts, release, settleMs);
}

/** The regatta CLI started in the background on the suite's sandbox; resolves its exit and output. */
export function startRegatta(args: readonly string[], env: NodeJS.ProcessEnv = sandbox.env) {
  return spawnRegatta(args, env);
}
