import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fluxComponents, fluxPortRequests, fluxPorts } from '../../../src/sandbox/flux.js';
import { repositoryOf } from '../../../src/sandbox/git-server.js';
import { sandboxPaths } from '../../../src/sandbox/layout.js';

const clusters = ['dev-us-central1-0', 'prod-europe-west1'];
const requests = fluxPortRequests(clusters);
const ports = fluxPorts(new Map(requests.map((request, index) => [request.name, 41000 + index])), clusters);
const components = fluxComponents(sandboxPaths('/sb'), ports, '/pkg/dist/src/sandbox/git-server.js');
const byName = (name: string) => {
  const found = components.find((c) => c.name === name);
  assert.ok(found, name);
  return found;
};
const flag = (name: string, prefix: string) => byName(name).args.find((arg) => arg.startsWith(prefix));

describe('sandbox Flux components', () => {
  it('runs one git server and three controllers per cluster', () => {
    assert.deepEqual(
      components.map((c) => c.name),
      [
        'git-server',
        ...clusters.flatMap((c) => [
          `${c}/source-controller`,
          `${c}/kustomize-controller`,
          `${c}/helm-controller`,
        ]),
      ],
    );
  });

  it('gives every listening address its own port on 127.0.0.1', () => {
    const addresses = components.flatMap((c) =>
      c.args.filter((arg) => /^--(metrics|health|storage)-addr=/.test(arg)).map((arg) => arg.split('=')[1]),
    );
    assert.equal(addresses.length, clusters.length * 7);
    assert.equal(new Set(addresses).size, addresses.length);
    assert.ok(addresses.every((address) => address?.startsWith('127.0.0.1:')));
  });

  it('points each controller at its own cluster as clients reach it (through its proxy, if any), in every namespace, without leader election', () => {
    for (const cluster of clusters) {
      for (const controller of ['source-controller', 'kustomize-controller', 'helm-controller']) {
        const component = byName(`${cluster}/${controller}`);
        assert.equal(component.env?.KUBECONFIG, `/sb/clusters/${cluster}/client.kubeconfig`);
        assert.ok(component.args.includes('--watch-all-namespaces=true'));
        assert.ok(component.args.includes('--enable-leader-election=false'));
      }
    }
  });

  it('advertises the artifact server at the address it binds, storing artifacts in the sandbox', () => {
    const name = 'prod-europe-west1/source-controller';
    const bound = flag(name, '--storage-addr=')?.split('=')[1];
    assert.equal(flag(name, '--storage-adv-addr='), `--storage-adv-addr=${bound}`);
    assert.equal(
      flag(name, '--storage-path='),
      '--storage-path=/sb/clusters/prod-europe-west1/flux-artifacts',
    );
  });

  it('serves git from the sandbox folder with node', () => {
    const git = byName('git-server');
    assert.equal(git.binary, 'node');
    assert.deepEqual(git.args.slice(1), ['--port', String(ports.git), '--root', '/sb/git']);
  });
});

describe('git server paths', () => {
  it('finds the repository of each smart-HTTP request', () => {
    assert.equal(repositoryOf('/fleet.git/info/refs'), 'fleet.git');
    assert.equal(repositoryOf('/team/app.git/git-receive-pack'), 'team/app.git');
    assert.equal(repositoryOf('/team/app/git-upload-pack'), 'team/app');
    assert.equal(repositoryOf('/app.git/objects/ab/cdef'), 'app.git');
  });

  it('refuses paths that leave the root or are not git requests', () => {
    assert.equal(repositoryOf('/../etc/info/refs'), undefined);
    assert.equal(repositoryOf('/a/../../b/info/refs'), undefined);
    assert.equal(repositoryOf('/.hidden/info/refs'), undefined);
    assert.equal(repositoryOf('/fleet.git'), undefined);
    assert.equal(repositoryOf('/healthz'), undefined);
  });
});
