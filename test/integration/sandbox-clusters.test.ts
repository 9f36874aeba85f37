import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { run } from '../../src/adapters/process.js';
import { serverVersion } from '../../src/adapters/kube.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { fixtureChart, testSandbox } from './support/sandbox.js';

const { dir, state, env } = testSandbox();
const kubeconfig = sandboxPaths(dir).kubeconfig;

function deployment(name: string, image: string, replicas: number, progressDeadlineSeconds = 600) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

async function kubectl(cluster: string, args: string[], input?: string) {
  return run('kubectl', ['--context', cluster, ...args], { env, input });
}

async function helmHistory(helm: string, cluster: string, release: string, namespace: string) {
  const history = await run(
    helm,
    ['history', release, '-n', namespace, '--kube-context', cluster, '-o', 'json'],
    { env },
  );
  return JSON.parse(history.stdout) as { revision: number; status: string; chart: string }[];
}

describe('every sandbox cluster', { concurrency: true }, () => {
  for (const cluster of state.clusters) {
    describe(cluster, { concurrency: true }, () => {
      const namespace = `sandbox-test-${randomBytes(3).toString('hex')}`;
      const ready = kubectl(cluster, ['create', 'namespace', namespace]);
      ready.catch(() => undefined); // awaited (and reported) by each test

      it('serves Kubernetes v1.34.x', async () => {
        const version = await serverVersion({ kubeconfig, context: cluster });
        assert.match(version.gitVersion, /^v1\.34\.\d+$/);
        assert.equal(`${version.major}.${version.minor}`, '1.34');
      });

      it('makes a 3-replica Deployment Available on kwok nodes', async () => {
        await ready;
        await kubectl(
          cluster,
          ['apply', '-n', namespace, '-f', '-'],
          stringify(deployment('web', 'nginx:1.27', 3)),
        );
        await kubectl(cluster, ['rollout', 'status', '-n', namespace, 'deployment/web', '--timeout=90s']);
        const live = JSON.parse(
          (await kubectl(cluster, ['get', '-n', namespace, 'deployment/web', '-o', 'json'])).stdout,
        );
        assert.equal(live.status.readyReplicas, 3);
        assert.equal(live.status.availableReplicas, 3);
      });

      it('never makes a -broken image Ready: ProgressDeadlineExceeded', async () => {
        await ready;
        await kubectl(
          cluster,
          ['apply', '-n', namespace, '-f', '-'],
          stringify(deployment('bad', 'nginx:1.27-broken', 1, 3)),
        );
        await kubectl(cluster, [
          'wait',
          '-n',
          namespace,
          'deployment/bad',
          '--for=jsonpath={.status.conditions[?(@.type=="Progressing")].reason}=ProgressDeadlineExceeded',
          '--timeout=90s',
        ]);
        const live = JSON.parse(
          (await kubectl(cluster, ['get', '-n', namespace, 'deployment/bad', '-o', 'json'])).stdout,
        );
        assert.equal(live.status.readyReplicas ?? 0, 0);
      });

      for (const helm of ['helm', 'helm3']) {
        it(`installs a chart with ${helm} and shows it in helm history`, async () => {
          await ready;
          const version = (await run(helm, ['version', '--short'], { env })).stdout;
          assert.match(version, helm === 'helm' ? /^v4\./ : /^v3\.17\./);
          const release = `hello-${helm}`;
          await run(
            helm,
            [
              'install',
              release,
              fixtureChart('hello'),
              '-n',
              namespace,
              '--kube-context',
              cluster,
              '--wait',
              '--timeout',
              '90s',
            ],
            { env },
          );
          const history = await helmHistory(helm, cluster, release, namespace);
          assert.equal(history.length, 1);
          assert.equal(history[0]?.status, 'deployed');
          assert.equal(history[0]?.chart, 'hello-0.1.0');
        });
      }
    });
  }
});
