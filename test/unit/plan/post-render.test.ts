import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { postRenderSeconds } from '../../../src/adapters/helm-phases.js';
import { assetsDir } from '../../../src/paths.js';

// The post-renderer as helm runs it: the shell program, which passes a manifest through itself
// when nothing can change and hands it to the Node program otherwise.
const program = join(assetsDir(), 'helm-plugins', 'regatta-scale', 'post-render');

function postRender(manifest: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(program, args, { input: manifest, encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const deployment = (replicas: number) => `---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  template: {}
`;
const secret = `---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: "s3cr\\"et \\t tab"
`;
const hpa = (kind: string) => `---
apiVersion: autoscaling/v2
kind: ${kind}
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
`;

const replicasOf = (manifest: string) =>
  parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind: string; spec?: { replicas?: number } })
    .find((o) => o.kind === 'Deployment')?.spec?.replicas;

describe('post-renderer program', () => {
  it('returns a manifest byte for byte when no count is asked for and no autoscaler is rendered', () => {
    for (const manifest of [deployment(2) + secret, `${deployment(2)}\n\n\n`, '', 'no newline at the end']) {
      const result = postRender(manifest, ['[]']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, manifest);
    }
  });

  it('sets a replica count the release file asks for', () => {
    const result = postRender(deployment(2) + secret, [JSON.stringify([{ name: 'web', count: 5 }])]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(replicasOf(result.stdout), 5);
  });

  it('fails on a count for a workload the chart does not render', () => {
    const result = postRender(deployment(2), [JSON.stringify([{ name: 'nope', count: 5 }])]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no Deployment or StatefulSet named nope/);
  });

  it('leaves its START END in REGATTA_POST_RENDER_TIMING, on either path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'post-render-test-'));
    try {
      for (const args of [['[]'], [JSON.stringify([{ name: 'web', count: 3 }])]]) {
        const file = join(dir, 'timing');
        const result = postRender(deployment(2), args, { ...process.env, REGATTA_POST_RENDER_TIMING: file });
        assert.equal(result.status, 0, result.stderr);
        const seconds = postRenderSeconds(readFileSync(file, 'utf8'));
        assert.ok(seconds !== undefined && seconds >= 0 && seconds < 60, `${args[0]}: ${seconds}`);
        rmSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves out the count of a workload an autoscaler scales, however the kind is spelt', () => {
    for (const kind of [
      'HorizontalPodAutoscaler',
      '"HorizontalPod\\x41utoscaler"',
      '"HorizontalPod\\u0041utoscaler"',
      '"HorizontalPodAuto\\\n  scaler"',
      '"HorizontalPodAuto\\\r\n  scaler"',
    ]) {
      const result = postRender(deployment(2) + hpa(kind), ['[]']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(replicasOf(result.stdout), undefined, kind);
    }
  });
});
