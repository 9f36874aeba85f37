import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { registryConfig, sandboxComponents, type SandboxPorts } from '../../../src/sandbox/components.js';
import { sandboxPaths } from '../../../src/sandbox/layout.js';
import { validateClusterCount } from '../../../src/sandbox/sandbox.js';
import { UserError } from '../../../src/errors.js';

const ports: SandboxPorts = {
  etcd: 2379,
  etcdPeer: 2380,
  openbao: 8200,
  chartmuseum: 8080,
  registry: 5000,
  clusters: [
    { name: 'dev-us-central1-0', apiserver: 6443, controllerManager: 40001, scheduler: 40002, kwok: 40003 },
    { name: 'prod-europe-west1', apiserver: 6444, controllerManager: 40011, scheduler: 40012, kwok: 40013 },
  ],
};
const paths = sandboxPaths('/sb');
const components = sandboxComponents(paths, ports, '/assets/stages.yaml');
const byName = (name: string) => {
  const found = components.find((c) => c.name === name);
  assert.ok(found, name);
  return found;
};

describe('sandbox components', () => {
  it('runs etcd, OpenBao, ChartMuseum, a registry and four processes per cluster', () => {
    assert.equal(components.length, 4 + 4 * ports.clusters.length);
  });

  it('gives each cluster its own etcd prefix on the shared etcd', () => {
    const prefixes = ports.clusters.map((c) =>
      byName(`${c.name}/kube-apiserver`).args.find((a) => a.startsWith('--etcd-prefix=')),
    );
    assert.deepEqual(prefixes, [
      '--etcd-prefix=/registry/dev-us-central1-0',
      '--etcd-prefix=/registry/prod-europe-west1',
    ]);
    for (const c of ports.clusters) {
      assert.ok(byName(`${c.name}/kube-apiserver`).args.includes('--etcd-servers=http://127.0.0.1:2379'));
    }
  });

  it('starts etcd first, API servers next, then what needs an API server', () => {
    assert.equal(byName('etcd').phase, 0);
    assert.equal(byName('prod-europe-west1/kube-apiserver').phase, 1);
    for (const part of ['kube-controller-manager', 'kube-scheduler', 'kwok']) {
      assert.equal(byName(`prod-europe-west1/${part}`).phase, 2);
    }
  });

  it('probes each component on its own port', () => {
    assert.equal(byName('prod-europe-west1/kube-apiserver').health.url, 'https://127.0.0.1:6444/readyz');
    assert.equal(
      byName('prod-europe-west1/kube-apiserver').health.caFile,
      '/sb/clusters/prod-europe-west1/ca.crt',
    );
    assert.equal(byName('dev-us-central1-0/kwok').health.url, 'http://127.0.0.1:40003/healthz');
    assert.equal(byName('openbao').health.url, 'http://127.0.0.1:8200/v1/sys/health');
    const urls = components.map((c) => c.health.url);
    assert.equal(new Set(urls).size, urls.length);
  });

  it('keeps OpenBao dev mode with the known root token and its HOME inside the sandbox', () => {
    const bao = byName('openbao');
    assert.ok(bao.args.includes('-dev-root-token-id=root'));
    assert.equal(bao.env?.HOME, '/sb/openbao');
  });

  it('configures the registry to listen on 127.0.0.1 and store under the sandbox', () => {
    const config = parse(registryConfig(paths, 5000));
    assert.equal(config.http.addr, '127.0.0.1:5000');
    assert.equal(config.storage.filesystem.rootdirectory, '/sb/registry/data');
  });
});

describe('cluster count', () => {
  it('accepts 1 to 6', () => {
    for (const n of [1, 3, 6]) validateClusterCount(n);
  });
  it('refuses 0, 7 and fractions with a user error', () => {
    for (const n of [0, 7, 2.5]) assert.throws(() => validateClusterCount(n), UserError);
  });

  it('runs toxiproxy, first, only when the sandbox has a latency profile', () => {
    assert.equal(
      components.find((c) => c.name === 'toxiproxy'),
      undefined,
    );
    const proxied = sandboxComponents(paths, { ...ports, toxiproxy: 8474 }, '/assets/stages.yaml');
    const toxiproxy = proxied.find((c) => c.name === 'toxiproxy');
    assert.deepEqual(toxiproxy?.args, ['-host=127.0.0.1', '-port=8474']);
    assert.equal(toxiproxy?.phase, 0);
    assert.equal(toxiproxy?.health.url, 'http://127.0.0.1:8474/version');
    assert.equal(proxied.length, components.length + 1);
  });
});
