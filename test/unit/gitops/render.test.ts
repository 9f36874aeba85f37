import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { secretValuesObject } from '../../../src/gitops/objects.js';
import { renderEnvironment, type GitopsRelease, type RenderInput } from '../../../src/gitops/render.js';
import type { Cluster } from '../../../src/model/fleet.js';
import { layerValues } from '../../../src/values/layer.js';
import { chartmuseum, clusters, oci, release, web } from './fixtures.js';

function render(input: Partial<RenderInput> = {}) {
  return renderEnvironment({ environment: chartmuseum, clusters, releases: [web], ...input });
}
const file = (files: ReturnType<typeof render>, path: string) => {
  const found = files.find((f) => f.path === path);
  assert.ok(found, `${path} in ${files.map((f) => f.path).join(', ')}`);
  return found.content;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, read field by field
type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, any> };
const objects = (content: string) => parseAllDocuments(content).map((d) => d.toJS() as Obj);
const helmReleaseIn = (files: ReturnType<typeof render>, cluster: string) =>
  parse(file(files, `clusters/${cluster}/releases/web.front.yaml`)) as Obj;

describe('gitops render', () => {
  it('writes one folder per cluster: sources, namespaces, one HelmRelease per release', () => {
    assert.deepEqual(
      render().map((f) => f.path),
      [
        'clusters/prod-europe-west1/sources.yaml',
        'clusters/prod-europe-west1/namespaces.yaml',
        'clusters/prod-europe-west1/releases/web.front.yaml',
        'clusters/prod-us-central1/sources.yaml',
        'clusters/prod-us-central1/namespaces.yaml',
        'clusters/prod-us-central1/releases/web.front.yaml',
      ],
    );
  });

  it('is deterministic: the same input in another order gives byte-identical files', () => {
    const other = { ...web, release: release({ name: 'api', namespace: 'back' }) };
    const a = render({ releases: [web, other] });
    const b = render({ releases: [other, web], clusters: [...clusters].reverse() });
    assert.deepEqual(a, b);
  });

  it('quotes every string a Go YAML parser would read as a number or a boolean', () => {
    const tricky = {
      a: '1_000',
      b: '0b11',
      c: 'yes',
      d: '12:30',
      e: '0777',
      f: 'on',
      n: 'x',
      g: '2001-12-14',
    };
    const files = render({ releases: [{ ...web, release: { ...web.release, values: { tricky } } }] });
    const content = file(files, 'clusters/prod-europe-west1/releases/web.front.yaml');
    for (const value of Object.values(tricky).filter((v) => v !== 'x'))
      assert.match(content, new RegExp(`: "${value}"$`, 'm'), `${value} quoted`);
    assert.match(content, /^\s+"n": x$/m, 'a key YAML 1.1 reads as a boolean is quoted too');
    assert.deepEqual(helmReleaseIn(files, 'prod-europe-west1').spec.values.tricky, tricky);
  });

  it('layers values exactly as the helm engine does, secrets left out', () => {
    const files = render();
    const spec = helmReleaseIn(files, 'prod-europe-west1').spec;
    const expected = layerValues({
      files: web.valuesFiles,
      release: web.release.values,
      cluster: clusters[1] as Cluster,
      replicas: [{ name: 'web', count: 5 }],
      secrets: {},
    });
    assert.equal(spec.values.global.clusterName, 'prod-europe-west1');
    assert.equal(spec.values.global.team, 'video');
    assert.equal(spec.values.image, 'web:2', 'values win over values_files');
    assert.deepEqual(spec.values.scaling, { web: 5 });
    assert.deepEqual(spec.values, expected);
  });

  it('reads secrets from a per-release Secret, and no inline value can shadow them', () => {
    const withShadow = {
      ...web,
      release: release({ values: { secrets: { db_password: 'not-the-secret', other: 'kept' } } }),
    };
    const spec = helmReleaseIn(render({ releases: [withShadow] }), 'prod-us-central1').spec;
    assert.deepEqual(spec.valuesFrom, [
      { kind: 'Secret', name: 'regatta-web-secrets', valuesKey: 'values.yaml' },
    ]);
    assert.deepEqual(spec.values.secrets, { other: 'kept' });
    const versioned = {
      ...withShadow,
      secretNames: new Map([['prod-us-central1', 'regatta-web-secrets-v2']]),
    };
    assert.equal(
      helmReleaseIn(render({ releases: [versioned] }), 'prod-us-central1').spec.valuesFrom[0].name,
      'regatta-web-secrets-v2',
    );
    const noSecrets = { ...web, release: release({ secrets: [] }) };
    assert.equal(
      helmReleaseIn(render({ releases: [noSecrets] }), 'prod-us-central1').spec.valuesFrom,
      undefined,
    );
  });

  it('sets per-cluster replica counts with a kustomize post-renderer patch, only where scaling says so', () => {
    const files = render();
    assert.deepEqual(helmReleaseIn(files, 'prod-europe-west1').spec.postRenderers, [
      {
        kustomize: {
          patches: [
            {
              target: { kind: 'Deployment|StatefulSet', name: 'web' },
              patch: '[{"op":"add","path":"/spec/replicas","value":5}]',
            },
          ],
        },
      },
    ]);
    assert.equal(helmReleaseIn(files, 'prod-us-central1').spec.postRenderers, undefined);
  });

  it('turns drift detection on, ignoring spec.replicas only where an HPA owns it', () => {
    const hpa = {
      ...web,
      hpaTargets: new Map([['prod-us-central1', [{ kind: 'Deployment', name: 'web' }]]]),
    };
    const files = render({ releases: [hpa] });
    assert.deepEqual(helmReleaseIn(files, 'prod-us-central1').spec.driftDetection, {
      mode: 'enabled',
      ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment', name: 'web' } }],
    });
    assert.deepEqual(helmReleaseIn(files, 'prod-europe-west1').spec.driftDetection, { mode: 'enabled' });
  });

  it("configures Flux's remediation so it never fights the fleet's decision", () => {
    const spec = helmReleaseIn(render(), 'prod-us-central1').spec;
    assert.deepEqual(spec.install, { remediation: { retries: 0 } });
    assert.deepEqual(spec.upgrade, {
      remediation: { retries: 0, remediateLastFailure: false },
      cleanupOnFail: false,
    });
    assert.equal(spec.rollback, undefined);
  });

  it("gives helm-controller's rollout wait the deploy's timeout (300 s unless told)", () => {
    assert.equal(helmReleaseIn(render(), 'prod-us-central1').spec.timeout, '300s');
    assert.equal(helmReleaseIn(render({ timeoutSeconds: 60 }), 'prod-us-central1').spec.timeout, '60s');
  });

  it('ChartMuseum: one HelmRepository for the environment, the chart at its exact version', () => {
    const files = render();
    const sources = objects(file(files, 'clusters/prod-us-central1/sources.yaml'));
    assert.deepEqual(
      sources.map((s) => [s.kind, s.metadata.name, s.spec.url]),
      [['HelmRepository', 'regatta-prod', 'http://127.0.0.1:8080']],
    );
    assert.deepEqual(helmReleaseIn(files, 'prod-us-central1').spec.chart.spec, {
      chart: 'web',
      version: '1.2.0',
      reconcileStrategy: 'ChartVersion',
      sourceRef: { kind: 'HelmRepository', name: 'regatta-prod', namespace: 'flux-system' },
    });
  });

  it('OCI: an OCIRepository per release at the version tag, referenced by chartRef', () => {
    const files = render({ environment: oci });
    const [source] = objects(file(files, 'clusters/prod-us-central1/sources.yaml'));
    assert.equal(source?.kind, 'OCIRepository');
    assert.equal(source?.spec.url, 'oci://127.0.0.1:5000/charts/web');
    assert.deepEqual(source?.spec.ref, { tag: '1.2.0' });
    assert.equal(source?.spec.insecure, true);
    const spec = helmReleaseIn(files, 'prod-us-central1').spec;
    assert.deepEqual(spec.chartRef, { kind: 'OCIRepository', name: 'web-front', namespace: 'flux-system' });
    assert.equal(spec.chart, undefined);
  });

  it('chart_path: a GitRepository of the application and the chart folder in it', () => {
    const app: GitopsRelease = {
      ...web,
      origin: {
        kind: 'git',
        version: '1.2.0',
        url: 'http://127.0.0.1:3000/team/web.git',
        branch: 'master',
        path: 'charts/web',
      },
    };
    const files = render({ releases: [app] });
    const [source] = objects(file(files, 'clusters/prod-us-central1/sources.yaml'));
    assert.equal(source?.kind, 'GitRepository');
    assert.equal(source?.spec.url, 'http://127.0.0.1:3000/team/web.git');
    assert.deepEqual(source?.spec.ref, { branch: 'master' });
    assert.deepEqual(helmReleaseIn(files, 'prod-us-central1').spec.chart.spec, {
      chart: './charts/web',
      reconcileStrategy: 'Revision',
      sourceRef: { kind: 'GitRepository', name: 'web-front-chart', namespace: 'flux-system' },
    });
  });

  it('with a repository and branch, each folder holds the Kustomization that syncs that folder', () => {
    const files = render({ sync: { url: 'http://127.0.0.1:3000/fleet.git', branch: 'prod' } });
    const [repository, kustomization] = objects(file(files, 'clusters/prod-us-central1/flux-sync.yaml'));
    assert.deepEqual(repository?.spec.ref, { branch: 'prod' });
    assert.equal(kustomization?.spec.path, './clusters/prod-us-central1');
    assert.equal(kustomization?.spec.prune, true);
  });

  it('leaves out releases of other environments', () => {
    const dev = { ...web, release: release({ environment: 'dev', name: 'devonly' }) };
    assert.ok(!render({ releases: [web, dev] }).some((f) => f.path.includes('devonly')));
  });
});

describe('secret values object', () => {
  it("carries the secrets layer as values.yaml, for valuesFrom, in the release's namespace", () => {
    const secret = secretValuesObject(release(), { db_password: 'p4ss', api_key: 'k' });
    assert.equal(secret.kind, 'Secret');
    assert.deepEqual(secret.metadata.name, 'regatta-web-secrets');
    assert.equal(secret.metadata.namespace, 'front');
    const values = parse((secret.stringData as Record<string, string>)['values.yaml'] as string);
    assert.deepEqual(values, { secrets: { api_key: 'k', db_password: 'p4ss' } });
  });
});
