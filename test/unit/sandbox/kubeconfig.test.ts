import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildKubeconfig } from '../../../src/sandbox/kubeconfig.js';

describe('sandbox kubeconfig', () => {
  const entries = ['dev-us-central1-0', 'prod-europe-west1'].map((name, index) => ({
    name,
    server: `https://127.0.0.1:${6443 + index}`,
    caFile: `/sandbox/clusters/${name}/ca.crt`,
    certFile: `/sandbox/clusters/${name}/admin.crt`,
    keyFile: `/sandbox/clusters/${name}/admin.key`,
  }));
  const config = parse(buildKubeconfig(entries));

  it('has one context per cluster, named like the cluster, the first one current', () => {
    assert.deepEqual(
      config.contexts.map((c: { name: string }) => c.name),
      ['dev-us-central1-0', 'prod-europe-west1'],
    );
    assert.equal(config['current-context'], 'dev-us-central1-0');
  });

  it('points each context at its own server, CA and client credentials', () => {
    const context = config.contexts[1].context;
    const cluster = config.clusters.find((c: { name: string }) => c.name === context.cluster).cluster;
    const user = config.users.find((u: { name: string }) => u.name === context.user).user;
    assert.equal(cluster.server, 'https://127.0.0.1:6444');
    assert.equal(cluster['certificate-authority'], '/sandbox/clusters/prod-europe-west1/ca.crt');
    assert.equal(user['client-certificate'], '/sandbox/clusters/prod-europe-west1/admin.crt');
    assert.equal(user['client-key'], '/sandbox/clusters/prod-europe-west1/admin.key');
  });
});
