import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { listHelmRevisions } from '../../src/adapters/helm-storage.js';
import { run } from '../../src/adapters/process.js';
import { vaultRequest, VaultHttpError, approleLogin } from '../../src/adapters/vault.js';
import { packageRoot } from '../../src/paths.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { deployJson, interruptWhen, regatta, testSandbox } from './support/sandbox.js';
import { writeRelease, writeTestFleet } from './support/fleet.js';

const { dir: sandboxDir, state, env } = testSandbox();
const kubeconfig = sandboxPaths(sandboxDir).kubeconfig;
const root = { address: env.VAULT_ADDR as string, token: env.VAULT_TOKEN as string };
const chart = join(packageRoot, 'test', 'fixtures', 'charts', 'secret-app');
const canary = (name: string) => `canary-${name}-${randomBytes(6).toString('hex')}`;
const CANARIES = { v2: canary('v2'), v1: canary('v1'), eu: canary('eu'), other: canary('other') };
const namespace = 'secrets-test';

function allForms(values: readonly string[]): string[] {
  return values.flatMap((value) => [value, Buffer.from(value).toString('base64')]);
}

function assertNoCanary(text: string, where: string) {
  for (const form of allForms(Object.values(CANARIES)))
    assert.ok(!text.includes(form), `a secret value reached ${where}`);
}

/** Every file under a folder, skipping the sandbox (the clusters' own storage, where Secrets live). */
function filesUnder(folder: string, skip: string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (skip.some((s) => path.startsWith(s))) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(folder);
  return files;
}

function scanFiles(folder: string) {
  const needles = allForms(Object.values(CANARIES));
  for (const file of filesUnder(folder, [sandboxDir, join(packageRoot, 'node_modules')])) {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      continue;
    }
    if (size > 20_000_000) continue;
    let content: string;
    try {
      content = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const needle of needles)
      assert.ok(!content.includes(needle), `a secret value was written to ${file}`);
  }
}

const fleet = writeTestFleet(state);
const SECRETS = [
  {
    secret_id: 'db-password',
    contexts: [{ name: 'default', vaultPath: '/secret/regatta-test/app1', vaultKey: 'password' }],
  },
  {
    secret_id: 'api-key',
    contexts: [
      { name: 'default', vaultPath: '/kv/regatta-test/app1', vaultKey: 'apikey' },
      { name: 'dev-europe-west1-0', vaultPath: '/kv/regatta-test/app1-eu', vaultKey: 'apikey' },
    ],
  },
];

function release(secrets: unknown[] = SECRETS, file = 'app1.yaml') {
  return writeRelease(fleet.dir, file, {
    apiVersion: 'v1',
    kind: 'DailymotionRelease',
    metadata: { name: `app1.${namespace}`, environment: 'dev' },
    spec: { chart_name: 'secret-app', chart_path: chart, secrets },
  });
}

async function secretData(context: string): Promise<Record<string, string>> {
  const result = await run(
    'kubectl',
    ['--context', context, '-n', namespace, 'get', 'secret', 'app1', '-o', 'jsonpath={.data}'],
    { env },
  );
  return Object.fromEntries(
    Object.entries(JSON.parse(result.stdout) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString(),
    ]),
  );
}

const revisionCounts = async () =>
  Promise.all(
    state.clusters.map(
      async (context) =>
        (await listHelmRevisions({ kubeconfig, context }, { namespace, release: 'app1' })).length,
    ),
  );

describe('secrets from OpenBao at deploy time', () => {
  before(async () => {
    await vaultRequest(root, 'POST', 'secret/data/regatta-test/app1', { data: { password: CANARIES.v2 } });
    await vaultRequest(root, 'POST', 'secret/data/regatta-test/other', {
      data: { password: CANARIES.other },
    });
    await vaultRequest(root, 'POST', 'kv/regatta-test/app1', { apikey: CANARIES.v1 });
    await vaultRequest(root, 'POST', 'kv/regatta-test/app1-eu', { apikey: CANARIES.eu });
  });

  it('plan and diff name the secrets, never their values', async () => {
    const plan = await regatta(['plan', '--fleet', fleet.file, release()], env);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /api-key db-password|db-password api-key/);
    assertNoCanary(plan.stdout + plan.stderr, 'plan output');
    const diff = await regatta(['diff', '--fleet', fleet.file, release()], env);
    assert.equal(diff.exitCode, 0, diff.stderr);
    assert.match(diff.stdout, /db-password: <redacted, changed>/);
    assertNoCanary(diff.stdout + diff.stderr, 'diff output');
  });

  it('deploys KV v2 and KV v1 values, per cluster with a default, into the seed Secret template', async () => {
    const result = await regatta(['deploy', '--fleet', fleet.file, release()], env);
    assert.equal(result.exitCode, 0, result.stderr);
    assertNoCanary(result.stdout + result.stderr, 'deploy output');
    const data = await Promise.all(state.clusters.map(secretData));
    assert.deepEqual(data[0], { 'api-key': CANARIES.v1, 'db-password': CANARIES.v2 });
    assert.deepEqual(
      data[1],
      { 'api-key': CANARIES.eu, 'db-password': CANARIES.v2 },
      'dev-europe-west1-0 has its own entry',
    );
    assert.deepEqual(data[2], { 'api-key': CANARIES.v1, 'db-password': CANARIES.v2 });
    const again = await regatta(['deploy', '--fleet', fleet.file, release(), '--output', 'json'], env);
    assert.ok(
      deployJson<{ outcomes: { status: string }[] }>(again.stdout).outcomes.every(
        (o: { status: string }) => o.status === 'unchanged',
      ),
      'same secrets: unchanged',
    );
  });

  it('a missing key: exit 2, one line naming secret, cluster, path and key, and no cluster changed', async () => {
    const before = await revisionCounts();
    const broken = [
      ...SECRETS,
      {
        secret_id: 'token',
        contexts: [{ name: 'default', vaultPath: '/secret/regatta-test/app1', vaultKey: 'nope' }],
      },
    ];
    const result = await regatta(['deploy', '--fleet', fleet.file, release(broken, 'broken.yaml')], env);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /secret token for cluster dev-us-central1-0: \/secret\/regatta-test\/app1 key nope: no such key; nothing was deployed/,
    );
    assertNoCanary(result.stdout + result.stderr, 'error output');
    assert.deepEqual(await revisionCounts(), before);
  });

  it('Vault unreachable or a path denied: exit 2, nothing changed', async () => {
    const before = await revisionCounts();
    const unreachable = await regatta(['deploy', '--fleet', fleet.file, release()], {
      ...env,
      VAULT_ADDR: 'http://127.0.0.1:1',
    });
    assert.equal(unreachable.exitCode, 2);
    assert.match(
      unreachable.stderr,
      /secret (db-password|api-key) for cluster .*: Vault unreachable \(ECONNREFUSED\)/,
    );
    const denied = await regatta(['deploy', '--fleet', fleet.file, release()], {
      ...env,
      VAULT_TOKEN: 'not-a-token',
    });
    assert.equal(denied.exitCode, 2);
    assert.match(denied.stderr, /permission denied/);
    assert.deepEqual(await revisionCounts(), before);
  });

  it('least privilege: the generated policy lets an AppRole deploy this release and read nothing else', async () => {
    const policy = await regatta(['secrets', 'policy', '--fleet', fleet.file, release()], env);
    assert.equal(policy.exitCode, 0, policy.stderr);
    assert.deepEqual(
      [...policy.stdout.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]),
      ['kv/regatta-test/app1', 'kv/regatta-test/app1-eu', 'secret/data/regatta-test/app1'],
    );
    await vaultRequest(root, 'PUT', 'sys/policies/acl/regatta-app1', { policy: policy.stdout });
    await vaultRequest(root, 'POST', 'sys/auth/approle', { type: 'approle' }).catch((error: unknown) => {
      if (!(error instanceof VaultHttpError && error.status === 400)) throw error; // already enabled
    });
    await vaultRequest(root, 'POST', 'auth/approle/role/regatta-app1', { token_policies: ['regatta-app1'] });
    const roleId = (
      (await vaultRequest(root, 'GET', 'auth/approle/role/regatta-app1/role-id')) as {
        data: { role_id: string };
      }
    ).data.role_id;
    const secretId = (
      (await vaultRequest(root, 'POST', 'auth/approle/role/regatta-app1/secret-id')) as {
        data: { secret_id: string };
      }
    ).data.secret_id;

    const approleFleet =
      readFileSync(fleet.file, 'utf8') +
      `vault:\n  auth:\n    approle: { roleId: ${roleId}, secretIdEnv: TEST_APPROLE_SECRET_ID }\n`;
    const approleFleetFile = join(fleet.dir, 'regatta-approle.yaml');
    writeFileSync(approleFleetFile, approleFleet);
    const withoutToken = { ...env };
    delete withoutToken.VAULT_TOKEN;
    const deploy = await regatta(['deploy', '--fleet', approleFleetFile, release(), '--output', 'json'], {
      ...withoutToken,
      TEST_APPROLE_SECRET_ID: secretId,
    });
    assert.equal(deploy.exitCode, 0, deploy.stderr);
    assert.ok(
      !deploy.stdout.includes(secretId) && !deploy.stderr.includes(secretId),
      'the AppRole secret id is never printed',
    );

    const token = await approleLogin({ address: root.address }, 'approle', roleId, secretId);
    const scoped = { address: root.address, token };
    await vaultRequest(scoped, 'GET', 'secret/data/regatta-test/app1');
    await assert.rejects(
      vaultRequest(scoped, 'GET', 'secret/data/regatta-test/other'),
      (e: unknown) => e instanceof VaultHttpError && e.status === 403,
    );
  });

  it('secrets check: a secrets × clusters matrix of ✓/✗, exit 1 on any ✗, no values', async () => {
    const ok = await regatta(['secrets', 'check', '--fleet', fleet.file, '--env', 'dev', release()], env);
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /app1\.secrets-test\/db-password\s+✓\s+✓\s+✓/);
    const broken = [
      ...SECRETS,
      {
        secret_id: 'token',
        contexts: [{ name: 'dev-us-central1-0', vaultPath: '/kv/regatta-test/none', vaultKey: 'x' }],
      },
    ];
    const bad = await regatta(
      ['secrets', 'check', '--fleet', fleet.file, '--env', 'dev', release(broken, 'check.yaml')],
      env,
    );
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stdout, /app1\.secrets-test\/token\s+✗ no such path\s+✗ no entry, no default/);
    assertNoCanary(ok.stdout + bad.stdout + ok.stderr + bad.stderr, 'secrets check output');
  });

  it('short (1, 2 and 3 characters) and multi-line values: deployed whole, compared for no-ops, never printed', async () => {
    // Characters Regatta never prints itself, so a plain search of its output is a real test.
    const SHORT = { one: '\u0244', two: '\u0238\u0239', three: '\u0240\u0241\u0242' };
    const MULTI = `-----BEGIN TEST KEY-----\n${canary('line1')}\n${canary('line2')}\n-----END TEST KEY-----`;
    await vaultRequest(root, 'POST', 'secret/data/regatta-test/short', { data: { ...SHORT, multi: MULTI } });
    const forms = [
      ...allForms(Object.values(SHORT)),
      ...allForms([MULTI]),
      ...MULTI.split('\n').filter((line) => line.includes('canary')),
      JSON.stringify(MULTI).slice(1, -1),
    ];
    const assertNone = (text: string, where: string) => {
      for (const form of forms)
        assert.ok(!text.includes(form), `a short or multi-line value reached ${where}`);
    };
    const secrets = ['one', 'two', 'three', 'multi'].map((key) => ({
      secret_id: key,
      contexts: [{ name: 'default', vaultPath: '/secret/regatta-test/short', vaultKey: key }],
    }));
    // secret-echo also copies each value into a ConfigMap: diff prints that one in full, so only
    // the output scan stands between it and the terminal there.
    const file = writeRelease(fleet.dir, 'short.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: `short.${namespace}-short`, environment: 'dev' },
      spec: {
        chart_name: 'secret-echo',
        chart_path: join(packageRoot, 'test', 'fixtures', 'charts', 'secret-echo'),
        secrets,
      },
    });
    const plan = await regatta(['plan', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assertNone(plan.stdout + plan.stderr, 'plan output');
    const diff = await regatta(['diff', '--fleet', fleet.file, file], env);
    assert.equal(diff.exitCode, 0, diff.stderr);
    assert.match(diff.stdout, /short-echo/);
    assertNone(diff.stdout + diff.stderr, 'diff output');
    const deploy = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(deploy.exitCode, 0, deploy.stderr);
    assertNone(deploy.stdout + deploy.stderr, 'deploy output');
    const data = await run(
      'kubectl',
      [
        '--context',
        state.clusters[0]!,
        '-n',
        `${namespace}-short`,
        'get',
        'secret',
        'short',
        '-o',
        'jsonpath={.data}',
      ],
      { env },
    );
    const decoded = Object.fromEntries(
      Object.entries(JSON.parse(data.stdout) as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString(),
      ]),
    );
    assert.deepEqual(decoded, { ...SHORT, multi: MULTI }, 'helm received every value whole');
    const again = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.ok(
      deployJson<{ outcomes: { status: string }[] }>(again.stdout).outcomes.every(
        (o) => o.status === 'unchanged',
      ),
      'the same secrets compare equal to the live values: unchanged',
    );
    assertNone(again.stdout + again.stderr, 'second deploy output');
  });

  it('never writes a value to disk, also when interrupted with SIGINT mid-deploy', async () => {
    const file = writeRelease(fleet.dir, 'interrupted.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: `app2.${namespace}-2`, environment: 'dev' },
      spec: {
        chart_name: 'web',
        chart_path: join(packageRoot, 'test', 'fixtures', 'charts', 'web'),
        secrets: SECRETS,
        values: { image: 'x:1-broken' },
      },
    });
    const stderr = await interruptWhen(
      ['deploy', '--fleet', fleet.file, file, '--timeout', '60'],
      env,
      'installing',
      'SIGINT',
    );
    assertNoCanary(stderr, 'interrupted deploy output');
    scanFiles(tmpdir());
    scanFiles(fleet.dir);
    scanFiles(packageRoot);
  });
});
