import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../../src/paths.js';
import { regatta } from '../../integration/support/sandbox.js';
import { writeFiles } from '../config/support.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: elsewhere, cluster: { server: 'https://127.0.0.1:1' } }]
users: [{ name: elsewhere, user: {} }]
contexts: [{ name: elsewhere, context: { cluster: elsewhere, user: elsewhere } }]
current-context: elsewhere
`;

const FLEET = `apiVersion: regatta/v1
kind: Fleet
environments:
  dev: { branches: [dev], chartRepository: { url: http://127.0.0.1:1 } }
clusters:
  - name: dev-us-central1-0
    env: dev
    region: us-central1
`;

const RELEASE = `apiVersion: regatta/v1
kind: Release
metadata: { name: web.web, environment: dev }
spec: { chart_name: web, chart_path: ${join(packageRoot, 'test', 'fixtures', 'charts', 'web')} }
`;

describe('kube contexts named by the fleet file', () => {
  const dir = writeFiles({ kubeconfig: KUBECONFIG, 'regatta.yaml': FLEET, 'web.yaml': RELEASE });
  const args = (command: string) => [command, '--fleet', join(dir, 'regatta.yaml'), join(dir, 'web.yaml')];

  it('a context the kubeconfig lacks: exit 2, one line at the cluster entry, before any connection', async () => {
    const result = await regatta(args('plan'), { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') });
    assert.equal(result.exitCode, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: \S*regatta\.yaml:6:5: cluster dev-us-central1-0: kubeconfig \S+ has no context dev-us-central1-0 \(set its context:/,
    );
  });

  it('a kubeconfig that does not exist: exit 2, says which file', async () => {
    const result = await regatta(args('deploy'), { ...process.env, KUBECONFIG: join(dir, 'missing') });
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /cluster dev-us-central1-0: cannot read kubeconfig \S+missing: /);
  });
});
