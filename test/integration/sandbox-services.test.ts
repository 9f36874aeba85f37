import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { httpRequest } from '../../src/adapters/http.js';
import { run } from '../../src/adapters/process.js';
import { vaultRequest } from '../../src/adapters/vault.js';
import { fixtureChart, testSandbox } from './support/sandbox.js';

const { env } = testSandbox();
const vault = { address: env.VAULT_ADDR as string, token: env.VAULT_TOKEN as string };
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function packageChart(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'regatta-chart-'));
  await run('helm', ['package', fixtureChart('hello'), '-d', out], { env });
  return join(out, 'hello-0.1.0.tgz');
}

function pulledFile(dir: string): string {
  const files = readdirSync(dir);
  assert.deepEqual(files, ['hello-0.1.0.tgz']);
  return join(dir, files[0] as string);
}

describe('sandbox OpenBao', () => {
  it('reads back a secret written to KV v2 at secret/', async () => {
    const value = randomBytes(8).toString('hex');
    await vaultRequest(vault, 'POST', 'secret/data/sandbox-test/app', { data: { password: value } });
    const read = (await vaultRequest(vault, 'GET', 'secret/data/sandbox-test/app')) as {
      data: { data: { password: string } };
    };
    assert.equal(read.data.data.password, value);
  });

  it('reads back a secret written to KV v1 at kv/', async () => {
    const value = randomBytes(8).toString('hex');
    await vaultRequest(vault, 'POST', 'kv/sandbox-test/app', { password: value });
    const read = (await vaultRequest(vault, 'GET', 'kv/sandbox-test/app')) as { data: { password: string } };
    assert.equal(read.data.password, value);
  });
});

describe('sandbox chart repositories', () => {
  it('ChartMuseum: a pushed chart can be pulled back byte for byte', async () => {
    const chart = await packageChart();
    const url = env.REGATTA_CHARTMUSEUM_URL as string;
    const upload = await httpRequest(`${url}/api/charts?force=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/gzip' },
      body: readFileSync(chart),
    });
    assert.equal(upload.status, 201, upload.body);
    const out = mkdtempSync(join(tmpdir(), 'regatta-pull-'));
    await run('helm', ['pull', 'hello', '--version', '0.1.0', '--repo', url, '-d', out], { env });
    assert.equal(sha256(pulledFile(out)), sha256(chart));
  });

  it('OCI registry: helm push then helm pull returns the same chart', async () => {
    const chart = await packageChart();
    const registry = `oci://${env.REGATTA_OCI_REGISTRY}/charts-test`;
    await run('helm', ['push', chart, registry, '--plain-http'], { env });
    const out = mkdtempSync(join(tmpdir(), 'regatta-pull-'));
    await run('helm', ['pull', `${registry}/hello`, '--version', '0.1.0', '--plain-http', '-d', out], {
      env,
    });
    assert.equal(sha256(pulledFile(out)), sha256(chart));
  });
});
