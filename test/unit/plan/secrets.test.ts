import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import type { SecretMapping } from '../../../src/model/release.js';
import {
  normalizeVaultPath,
  requireSecretSource,
  secretSourceFor,
  vaultPolicy,
} from '../../../src/plan/secrets.js';
import { redact, registerSecretValue } from '../../../src/report/redact.js';

const position = { file: 'app1.yaml', line: 3, col: 5 };
const mapping: SecretMapping = {
  secretId: 'stack1-app1-password',
  position,
  contexts: [
    { name: 'default', vaultPath: '/kv/dev/stack1/app1/test', vaultKey: 'password', position },
    { name: 'cluster1', vaultPath: '/kv/dev/stack1/app1/cluster1', vaultKey: 'password', position },
  ],
};

describe('secret mapping', () => {
  it("takes the cluster's own entry, else default", () => {
    assert.equal(secretSourceFor(mapping, 'cluster1')?.vaultPath, '/kv/dev/stack1/app1/cluster1');
    assert.equal(secretSourceFor(mapping, 'cluster2')?.vaultPath, '/kv/dev/stack1/app1/test');
  });

  it('without either, is a user error naming the secret and the cluster', () => {
    const noDefault = { ...mapping, contexts: mapping.contexts.slice(1) };
    assert.throws(
      () => requireSecretSource(noDefault, 'cluster2'),
      (e: unknown) =>
        e instanceof UserError &&
        e.message === 'secret stack1-app1-password has no entry for cluster cluster2 and no default',
    );
  });

  it('reads paths the way `vault kv get` takes them', () => {
    assert.equal(normalizeVaultPath('/kv/dev/app/'), 'kv/dev/app');
  });
});

describe('least-privilege policy', () => {
  it('grants read on exactly the mapped paths, with data/ for KV v2', () => {
    const policy = vaultPolicy('app1.ns1', [
      { mount: 'kv/', version: '1', rest: 'dev/stack1/app1/test' },
      { mount: 'secret/', version: '2', rest: 'stack1/app1' },
      { mount: 'kv/', version: '1', rest: 'dev/stack1/app1/test' },
    ]);
    const paths = [...policy.matchAll(/^path "([^"]+)" \{\n {2}capabilities = \["read"\]\n\}$/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(paths, ['kv/dev/stack1/app1/test', 'secret/data/stack1/app1']);
    assert.ok(!/\*|list|create|update|delete|sudo/.test(policy.replace(/^#.*$/m, '')), 'read only, no globs');
  });
});

describe('redaction', () => {
  it('replaces a registered value, and its base64, wherever it appears', () => {
    registerSecretValue('hunter2-canary');
    const b64 = Buffer.from('hunter2-canary').toString('base64');
    assert.equal(redact(`password=hunter2-canary data: ${b64}`), 'password=<redacted> data: <redacted>');
  });
});
