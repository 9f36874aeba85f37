import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { bootstrapObjects } from '../../../src/gitops/bootstrap.js';
import {
  externalSecret,
  remoteRef,
  secretsDelivery,
  valuesTemplate,
  type SecretsDelivery,
} from '../../../src/gitops/external-secrets.js';
import { secretValuesContent } from '../../../src/gitops/objects.js';
import { renderEnvironment, type GitopsRelease } from '../../../src/gitops/render.js';
import { vaultSecrets } from '../../../src/gitops/secret-versions.js';
import { UserError } from '../../../src/errors.js';
import type { Fleet } from '../../../src/model/fleet.js';
import type { SecretMapping } from '../../../src/model/release.js';
import { chartmuseum, clusters, release, web } from './fixtures.js';

const ESO: SecretsDelivery = { source: 'external-secrets', store: 'vault-prod' };
const at = (name: string, vaultPath: string, vaultKey: string) => ({
  name,
  vaultPath,
  vaultKey,
  position: { file: '/releases/web.yaml', line: 9, col: 7 },
});
/** db_password: its own path in prod-europe-west1, the default elsewhere; api_key: default only. */
const mappings: SecretMapping[] = [
  {
    secretId: 'db_password',
    contexts: [at('default', '/secret/web/', 'db'), at('prod-europe-west1', 'secret/web-eu', 'db_eu')],
    position: { file: '/releases/web.yaml' },
  },
  {
    secretId: 'api-key',
    contexts: [at('default', 'kv/shared/api', 'key')],
    position: { file: '/releases/web.yaml' },
  },
];
const withSecrets: GitopsRelease = { ...web, release: release({ secrets: mappings }) };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, read field by field
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: any };
const objects = (content: string) => parseAllDocuments(content).map((d) => d.toJS() as Obj);
const renderEso = (releases: GitopsRelease[] = [withSecrets], secrets: SecretsDelivery = ESO) =>
  renderEnvironment({ environment: chartmuseum, clusters, releases, secrets });
const fileIn = (files: ReturnType<typeof renderEso>, path: string) => {
  const found = files.find((f) => f.path === path);
  assert.ok(found, `${path} in ${files.map((f) => f.path).join(', ')}`);
  return found.content;
};

describe('secrets delivery', () => {
  const environment = { name: 'prod', secrets: 'vault' as const, secretStore: 'vault' };

  it("is the environment's setting unless a flag says otherwise", () => {
    assert.deepEqual(secretsDelivery(environment), { source: 'vault' });
    assert.deepEqual(
      secretsDelivery({ ...environment, secrets: 'external-secrets', secretStore: 'vault-prod' }),
      {
        source: 'external-secrets',
        store: 'vault-prod',
      },
    );
    assert.deepEqual(secretsDelivery(environment, { secrets: 'external-secrets' }), {
      source: 'external-secrets',
      store: 'vault',
    });
    assert.deepEqual(secretsDelivery(environment, { secrets: 'external-secrets', secretStore: 'ops' }), {
      source: 'external-secrets',
      store: 'ops',
    });
    assert.deepEqual(secretsDelivery({ ...environment, secrets: 'external-secrets' }, { secrets: 'vault' }), {
      source: 'vault',
    });
  });

  it('refuses an unknown source, a store without external-secrets, and a store that is no object name', () => {
    const refused = (flags: { secrets?: string; secretStore?: string }, message: string) =>
      assert.throws(
        () => secretsDelivery(environment, flags),
        (error: unknown) => error instanceof UserError && error.message === message && Boolean(error.hint),
      );
    refused({ secrets: 'sops' }, '--secrets must be vault or external-secrets, not "sops"');
    refused(
      { secretStore: 'ops' },
      '--secret-store names the ClusterSecretStore of --secrets external-secrets',
    );
    refused(
      { secrets: 'external-secrets', secretStore: 'Vault_Prod' },
      '--secret-store "Vault_Prod" is not a Kubernetes object name',
    );
  });
});

describe('ExternalSecret', () => {
  it("resolves each secret per cluster: the cluster's own mapping, else default, as a path with its mount", () => {
    const [db] = mappings as [SecretMapping];
    assert.deepEqual(remoteRef(db, 'prod-europe-west1'), { key: 'secret/web-eu', property: 'db_eu' });
    assert.deepEqual(remoteRef(db, 'prod-us-central1'), { key: 'secret/web', property: 'db' });
  });

  it('refuses a cluster with no mapping and no default, at the mapping', () => {
    const only: SecretMapping = {
      secretId: 'db_password',
      contexts: [at('prod-europe-west1', 'secret/web-eu', 'db')],
      position: { file: '/releases/web.yaml', line: 12, col: 5 },
    };
    assert.throws(
      () =>
        externalSecret({ release: release({ secrets: [only] }), cluster: 'prod-us-central1', store: 'v' }),
      (error: unknown) =>
        error instanceof UserError &&
        error.message === 'secret db_password has no entry for cluster prod-us-central1 and no default' &&
        error.position?.line === 12,
    );
  });

  it('makes the very Secret the HelmRelease reads (name, key), from the ClusterSecretStore, refreshed hourly', () => {
    const object = externalSecret({
      release: release({ secrets: mappings }),
      cluster: 'prod-europe-west1',
      store: 'v',
    });
    assert.equal(object.apiVersion, 'external-secrets.io/v1');
    assert.equal(object.kind, 'ExternalSecret');
    assert.deepEqual([object.metadata.name, object.metadata.namespace], ['regatta-web-secrets', 'front']);
    const spec = object.spec as Obj['spec'];
    assert.equal(spec.refreshInterval, '1h');
    assert.deepEqual(spec.secretStoreRef, { kind: 'ClusterSecretStore', name: 'v' });
    assert.equal(spec.target.name, 'regatta-web-secrets');
    assert.equal(spec.target.creationPolicy, 'Owner');
    assert.equal(spec.target.template.engineVersion, 'v2');
    assert.equal(spec.target.template.mergePolicy, 'Replace');
    assert.equal(spec.target.template.metadata.labels['reconcile.fluxcd.io/watch'], 'Enabled');
    assert.deepEqual(Object.keys(spec.target.template.data), ['values.yaml']);
    assert.deepEqual(spec.data, [
      { secretKey: 'api-key', remoteRef: { key: 'kv/shared/api', property: 'key' } },
      { secretKey: 'db_password', remoteRef: { key: 'secret/web-eu', property: 'db_eu' } },
    ]);
  });

  it("templates the Vault engine's values.yaml, valid YAML whatever the values hold", () => {
    const template = valuesTemplate(['db_password', 'api-key', 'a.b']);
    assert.equal(
      template,
      'secrets:\n' +
        '  "a.b": {{ index . "a.b" | toJson }}\n' +
        '  "api-key": {{ index . "api-key" | toJson }}\n' +
        '  "db_password": {{ index . "db_password" | toJson }}\n',
    );
    // What ESO's engine does with it: each action becomes the value's JSON (sprig's toJson).
    const values = {
      db_password: 'he said "hi": x\n- y\n  # not a comment \\ \u2028',
      'api-key': '{{ .not_a_template }}',
      'a.b': "  'lead' & trail  ",
    };
    const executed = template.replace(/\{\{ index \. ("[^"]+") \| toJson \}\}/g, (_, id: string) =>
      JSON.stringify(values[JSON.parse(id) as keyof typeof values]),
    );
    assert.doesNotMatch(executed, /\{\{ index/);
    assert.deepEqual(parse(executed), parse(secretValuesContent(values)));
  });
});

describe('gitops render with external-secrets', () => {
  it('adds one ExternalSecret per release × cluster, beside its HelmRelease, with that cluster’s paths', () => {
    const files = renderEso();
    assert.deepEqual(
      files.map((f) => f.path).filter((path) => path.includes('external-secrets')),
      [
        'clusters/prod-europe-west1/external-secrets/web.front.yaml',
        'clusters/prod-us-central1/external-secrets/web.front.yaml',
      ],
    );
    for (const [name, key] of [
      ['prod-europe-west1', 'secret/web-eu'],
      ['prod-us-central1', 'secret/web'],
    ] as const) {
      const [eso] = objects(fileIn(files, `clusters/${name}/external-secrets/web.front.yaml`)) as [Obj];
      const helmRelease = parse(fileIn(files, `clusters/${name}/releases/web.front.yaml`)) as Obj;
      assert.equal(eso.metadata.namespace, helmRelease.metadata.namespace);
      assert.deepEqual(helmRelease.spec.valuesFrom, [
        { kind: 'Secret', name: eso.spec.target.name, valuesKey: 'values.yaml' },
      ]);
      assert.equal(eso.spec.data[1].remoteRef.key, key);
      assert.equal(eso.spec.secretStoreRef.name, 'vault-prod');
    }
  });

  it('keeps the Secret name stable: a versioned name from a Vault deploy is not used', () => {
    const versioned = {
      ...withSecrets,
      secretNames: new Map([['prod-us-central1', 'regatta-web-secrets-v2']]),
    };
    const helmRelease = parse(
      fileIn(renderEso([versioned]), 'clusters/prod-us-central1/releases/web.front.yaml'),
    ) as Obj;
    assert.equal(helmRelease.spec.valuesFrom[0].name, 'regatta-web-secrets');
  });

  it('writes no ExternalSecret for a release without secrets, and none with vault', () => {
    const plain = { ...web, release: release({ name: 'api', secrets: [] }) };
    assert.ok(!renderEso([plain]).some((f) => f.path.includes('external-secrets')));
    assert.ok(
      !renderEso([withSecrets], { source: 'vault' }).some((f) => f.path.includes('external-secrets')),
    );
  });

  it('is deterministic: the same input in another order gives byte-identical files', () => {
    const other = { ...withSecrets, release: release({ name: 'api', secrets: [...mappings].reverse() }) };
    const a = renderEso([withSecrets, other]);
    const b = renderEnvironment({
      environment: chartmuseum,
      clusters: [...clusters].reverse(),
      releases: [other, withSecrets],
      secrets: ESO,
    });
    assert.deepEqual(a, b);
  });

  it('holds no secret value: no Secret object, and the ExternalSecrets name only paths and keys', () => {
    const all = renderEso().flatMap((file) => objects(file.content));
    assert.ok(!all.some((object) => object.kind === 'Secret'));
    for (const eso of all.filter((object) => object.kind === 'ExternalSecret')) {
      for (const entry of eso.spec.data) {
        assert.deepEqual(Object.keys(entry).sort(), ['remoteRef', 'secretKey']);
        assert.deepEqual(Object.keys(entry.remoteRef).sort(), ['key', 'property']);
      }
      assert.doesNotMatch(eso.spec.target.template.data['values.yaml'], /^ {2}"[^"]+": (?!\{\{)/m);
    }
  });
});

describe('external-secrets never asks Vault', () => {
  // A Vault no client could reach: no address, no token. Asking it fails at once.
  const fleet: Fleet = {
    file: '/fleet.yaml',
    vault: { auth: { kind: 'token' } },
    environments: { prod: { ...chartmuseum, engine: 'flux' } },
    clusters,
  };
  const noVault = {};

  it('reads no secret for a deploy', async () => {
    const options = { fleet, releases: [withSecrets.release], clusters, env: noVault };
    assert.equal(await vaultSecrets({ ...options, delivery: ESO }), undefined);
    await assert.rejects(vaultSecrets({ ...options, delivery: { source: 'vault' } }), /no Vault address/);
  });

  it('bootstraps with no Secret and no Vault: only flux-system and the sync objects', async () => {
    const options = {
      fleet,
      environment: fleet.environments.prod!,
      clusters,
      releases: [withSecrets.release],
      repo: 'http://127.0.0.1:1/fleet.git',
      branch: 'prod',
      env: noVault,
    };
    const byCluster = await bootstrapObjects({ ...options, secrets: ESO });
    assert.deepEqual(
      byCluster.get('prod-us-central1')?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Namespace/flux-system', 'GitRepository/regatta-fleet', 'Kustomization/regatta-fleet'],
    );
    await assert.rejects(bootstrapObjects({ ...options, secrets: { source: 'vault' } }), /no Vault address/);
  });
});
