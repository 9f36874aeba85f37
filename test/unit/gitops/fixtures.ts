import type { GitopsRelease } from '../../../src/gitops/render.js';
import type { Cluster, Environment } from '../../../src/model/fleet.js';
import type { Release } from '../../../src/model/release.js';

/** In-memory fixtures of the Flux engine's tests: two prod clusters, one release with a secret. */
export const cluster = (name: string, region: string): Cluster => ({
  name,
  context: name,
  env: 'prod',
  cloud: true,
  region,
  labels: {},
  globals: { team: 'video' },
  position: { file: '/fleet.yaml' },
});
export const clusters = [
  cluster('prod-us-central1', 'us-central1'),
  cluster('prod-europe-west1', 'europe-west1'),
];
export const chartmuseum: Environment = {
  name: 'prod',
  branches: ['master'],
  chartRepository: { url: 'http://127.0.0.1:8080', type: 'chartmuseum', plainHttp: true },
  engine: 'flux',
  secrets: 'vault',
  secretStore: 'vault',
};
export const oci: Environment = {
  ...chartmuseum,
  chartRepository: { url: 'oci://127.0.0.1:5000/charts', type: 'oci', plainHttp: true },
};

export const release = (overrides: Partial<Release> = {}): Release => ({
  file: '/releases/web.yaml',
  position: { file: '/releases/web.yaml' },
  name: 'web',
  namespace: 'front',
  environment: 'prod',
  chart: { name: 'web', version: '1.2.0' },
  values: { image: 'web:2', secrets: { other: 'kept' } },
  valuesFiles: [],
  scaling: [{ cluster: 'prod-europe-west1', replicas: [{ name: 'web', count: 5 }], position: { file: '' } }],
  secrets: [
    {
      secretId: 'db_password',
      contexts: [{ name: 'default', vaultPath: 'secret/web', vaultKey: 'db', position: { file: '' } }],
      position: { file: '' },
    },
  ],
  ...overrides,
});

export const web: GitopsRelease = {
  release: release(),
  origin: { kind: 'repository', version: '1.2.0' },
  valuesFiles: [{ image: 'web:1', resources: { cpu: '100m' } }],
};
