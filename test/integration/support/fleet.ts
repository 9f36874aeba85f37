import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { SandboxState } from '../../../src/sandbox/state.js';

export interface TestFleet {
  dir: string;
  file: string;
  /** Cluster names of the dev environment, in the test sandbox's order. */
  devClusters: string[];
  prodClusters: string[];
}

const DEV = [
  { name: 'dev-us-central1-0', region: 'us-central1', cloud: true },
  { name: 'dev-europe-west1-0', region: 'europe-west1', cloud: true },
  { name: 'dev-asia-east1-0', region: 'asia-east1', cloud: false },
];
const PROD = [
  { name: 'prod-europe-west1', region: 'europe-west1', cloud: false },
  { name: 'prod-us-central1', region: 'us-central1', cloud: true },
  { name: 'prod-asia-east1', region: 'asia-east1', cloud: true },
];

/**
 * A fleet file over the test sandbox: a dev and a prod environment, each naming the sandbox's
 * three clusters under its own names (`context:` maps them), so prod-only chart logic is testable.
 * `globals` adds global.* values to one dev cluster (e.g. an imageSuffix that breaks its rollout).
 */
export function writeTestFleet(
  state: SandboxState,
  options: { dir?: string; name?: string; globals?: Record<string, Record<string, unknown>> } = {},
): TestFleet {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'regatta-fleet-'));
  // A smaller sandbox (e.g. a 2-cluster one of its own) gives each environment its first N.
  const clusters = [DEV, PROD].flatMap((group, envIndex) =>
    group.slice(0, state.clusters.length).map((cluster, index) => ({
      name: cluster.name,
      context: state.clusters[index],
      env: envIndex === 0 ? 'dev' : 'prod',
      cloud: cluster.cloud,
      region: cluster.region,
      labels: { provider: cluster.cloud ? 'gcp' : 'datacenter' },
      globals: options.globals?.[cluster.name] ?? {},
    })),
  );
  const fleet = {
    apiVersion: 'regatta/v1',
    kind: 'Fleet',
    environments: {
      dev: { branches: ['dev'], chartRepository: { url: `http://127.0.0.1:${state.ports.chartmuseum}` } },
      prod: {
        branches: ['prod'],
        chartRepository: { url: `oci://127.0.0.1:${state.ports.registry}/charts-prod` },
      },
    },
    clusters,
    notifications: { slack: { webhookUrlEnv: 'REGATTA_TEST_SLACK_URL' } },
  };
  const file = join(dir, options.name ?? 'regatta.yaml');
  writeFileSync(file, stringify(fleet));
  return { dir, file, devClusters: DEV.map((c) => c.name), prodClusters: PROD.map((c) => c.name) };
}

export function writeRelease(dir: string, fileName: string, release: Record<string, unknown>): string {
  const file = join(dir, fileName);
  writeFileSync(file, stringify(release));
  return file;
}
