import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster } from '../../../src/model/fleet.js';
import { clusterGlobals, layerValues, mergeValues } from '../../../src/values/layer.js';

const cluster: Cluster = {
  name: 'prod-europe-west1',
  context: 'prod-europe-west1',
  env: 'prod',
  cloud: false,
  region: 'europe-west1',
  labels: {},
  globals: { team: 'api', region: 'ignored: the fleet region wins' },
  position: { file: 'regatta.yaml' },
};

describe('value layering', () => {
  it('merges maps key by key and replaces lists and scalars', () => {
    assert.deepEqual(mergeValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 2 } }), {
      a: { b: 1, c: [3] },
      d: { e: 2 },
    });
  });

  it('gives every chart global.cloud, env, region and clusterName, plus the cluster globals', () => {
    assert.deepEqual(clusterGlobals(cluster), {
      global: {
        team: 'api',
        region: 'europe-west1',
        cloud: false,
        env: 'prod',
        clusterName: 'prod-europe-west1',
      },
    });
  });

  it('layers files < values < cluster globals < scaling < secrets', () => {
    const values = layerValues({
      files: [
        { image: 'from-file-1', global: { env: 'overridden' }, scaling: { api: 1 } },
        { image: 'from-file-2', keep: true },
      ],
      release: { image: 'from-release', secrets: { password: 'not-from-values' } },
      cluster,
      replicas: [{ name: 'api', count: 7 }],
      secrets: { password: 's3cret' },
    });
    assert.equal(values.image, 'from-release');
    assert.equal(values.keep, true);
    assert.equal((values.global as Record<string, unknown>).env, 'prod');
    assert.deepEqual(values.scaling, { api: 7 });
    assert.deepEqual(values.secrets, { password: 's3cret' });
  });

  it('adds no scaling or secrets keys when there are none', () => {
    const values = layerValues({ files: [], release: {}, cluster, replicas: [], secrets: {} });
    assert.deepEqual(Object.keys(values), ['global']);
  });
});
