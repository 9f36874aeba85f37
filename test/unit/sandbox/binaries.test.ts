import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  BINARIES,
  binaryCandidates,
  binarySpec,
  cacheKey,
  overrideVariable,
} from '../../../src/sandbox/binaries.js';
import { peersDir } from '../../../src/paths.js';

const cacheDir = '/cache/kube-apiserver-v1.34.4-abc';
const origins = (name: string, env: NodeJS.ProcessEnv) =>
  binaryCandidates(binarySpec(name), { env, cacheDir }).map((c) => `${c.origin}:${c.path}`);

describe('binary lookup order', () => {
  it('names one override variable per binary', () => {
    assert.equal(overrideVariable('kube-apiserver'), 'REGATTA_KUBE_APISERVER_BIN');
    assert.equal(overrideVariable('bao'), 'REGATTA_BAO_BIN');
    assert.equal(overrideVariable('helm3'), 'REGATTA_HELM3_BIN');
  });

  it('uses only the override when REGATTA_<NAME>_BIN is set', () => {
    assert.deepEqual(
      origins('kube-apiserver', {
        REGATTA_KUBE_APISERVER_BIN: '/opt/k/apiserver',
        KUBEBUILDER_ASSETS: '/kb',
        PATH: '/usr/bin',
      }),
      ['override:/opt/k/apiserver'],
    );
  });

  it('tries KUBEBUILDER_ASSETS, then the cache, then PATH, then a build', () => {
    assert.deepEqual(origins('etcd', { KUBEBUILDER_ASSETS: '/kb', PATH: '/a:/b' }), [
      'kubebuilder-assets:/kb/etcd',
      'cache:/cache/kube-apiserver-v1.34.4-abc/etcd',
      'path:/a/etcd',
      'path:/b/etcd',
      'build:/cache/kube-apiserver-v1.34.4-abc/etcd',
    ]);
  });

  it('looks in KUBEBUILDER_ASSETS only for what envtest puts there', () => {
    assert.ok(
      !origins('kwok', { KUBEBUILDER_ASSETS: '/kb', PATH: '' }).some((o) => o.startsWith('kubebuilder')),
    );
    assert.ok(
      origins('kubectl', { KUBEBUILDER_ASSETS: '/kb', PATH: '' }).includes('kubebuilder-assets:/kb/kubectl'),
    );
  });

  it('never takes helm from PATH, where another major version usually lives', () => {
    assert.deepEqual(origins('helm', { PATH: '/usr/local/bin' }), [
      'cache:/cache/kube-apiserver-v1.34.4-abc/helm',
      'build:/cache/kube-apiserver-v1.34.4-abc/helm',
    ]);
  });

  it('finds toxiproxy as toxiproxy-server, overridden by REGATTA_TOXIPROXY_BIN', () => {
    assert.equal(overrideVariable('toxiproxy'), 'REGATTA_TOXIPROXY_BIN');
    assert.deepEqual(origins('toxiproxy', { REGATTA_TOXIPROXY_BIN: '/opt/toxiproxy-server' }), [
      'override:/opt/toxiproxy-server',
    ]);
    assert.deepEqual(origins('toxiproxy', { KUBEBUILDER_ASSETS: '/kb', PATH: '/usr/bin' }), [
      'cache:/cache/kube-apiserver-v1.34.4-abc/toxiproxy-server',
      'path:/usr/bin/toxiproxy-server',
      'build:/cache/kube-apiserver-v1.34.4-abc/toxiproxy-server',
    ]);
  });

  it('finds the Debian registry on PATH under either name, and never builds it', () => {
    assert.deepEqual(origins('registry', { PATH: '/usr/bin' }), [
      'path:/usr/bin/docker-registry',
      'path:/usr/bin/registry',
    ]);
  });
});

describe('binary cache key', () => {
  const spec = binarySpec('kube-apiserver');
  it('carries name and version, and changes when an input changes', () => {
    const key = cacheKey(spec, ['go.mod A', 'go.sum A']);
    assert.match(key, /^kube-apiserver-v1\.34\.4-[0-9a-f]{12}$/);
    assert.equal(cacheKey(spec, ['go.mod A', 'go.sum A']), key);
    assert.notEqual(cacheKey(spec, ['go.mod B', 'go.sum A']), key);
  });
});

describe('pinned Go peers', () => {
  for (const spec of BINARIES) {
    if (spec.source.kind !== 'go') continue;
    const source = spec.source;
    it(`${spec.name}: the version it reports is the one go.mod pins`, () => {
      const goMod = readFileSync(join(peersDir(), source.peer, 'go.mod'), 'utf8');
      const moduleVersions = [...goMod.matchAll(/(\S+) (?:=> \S+ )?(v\d+\.\d+\.\d+\S*)/g)].map((m) => m[2]);
      if (spec.name === 'bao') {
        // OpenBao's v2 tags are not importable; go.mod pins the tag's commit as a pseudo-version.
        assert.match(goMod, /github\.com\/openbao\/openbao v0\.0\.0-\d{14}-f9407a27fbee/);
      } else {
        assert.ok(
          moduleVersions.includes(source.version),
          `${source.version} pinned in peers/${source.peer}/go.mod`,
        );
      }
      assert.match(
        goMod,
        new RegExp(`^(tool |\t)${source.pkg.replace(/\./g, '\\.')}$`, 'm'),
        'declared as a tool',
      );
    });
  }
});
