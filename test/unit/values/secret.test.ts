import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { format, inspect } from 'node:util';
import { helmEnvironment } from '../../../src/adapters/helm.js';
import { packageRoot } from '../../../src/paths.js';
import { redact, redactUrlCredentials, registerSecretValue } from '../../../src/report/redact.js';
import { layerValues } from '../../../src/values/layer.js';
import { revealValuesForHelm, sameValues, Secret } from '../../../src/values/secret.js';
import type { Cluster } from '../../../src/model/fleet.js';

const cluster: Cluster = {
  name: 'c1',
  context: 'c1',
  env: 'dev',
  cloud: false,
  region: 'r',
  labels: {},
  globals: {},
  position: { file: 'regatta.yaml' },
};

describe('Secret', () => {
  const secret = new Secret('s3cr3t-canary\nsecond line');

  it('prints <redacted> however it is printed', () => {
    assert.equal(String(secret), '<redacted>');
    assert.equal(`${secret as unknown as string}`, '<redacted>');
    assert.equal(JSON.stringify({ a: { b: [secret] } }), '{"a":{"b":["<redacted>"]}}');
    assert.equal(inspect({ password: secret }), '{ password: <redacted> }');
    assert.equal(
      format('%s %o %j', secret, { secret }, { secret }),
      '<redacted> { secret: <redacted> } {"secret":"<redacted>"}',
    );
    assert.equal(new Error(`failed with ${secret as unknown as string}`).message, 'failed with <redacted>');
    assert.deepEqual(Object.keys(secret), []);
  });

  it('is unwrapped onto helm standard input, nested anywhere', () => {
    const values = { secrets: { pw: secret, list: [new Secret('a')] }, plain: 1 };
    assert.equal(
      revealValuesForHelm(values),
      JSON.stringify({ secrets: { pw: 's3cr3t-canary\nsecond line', list: ['a'] }, plain: 1 }),
    );
  });

  it('compares equal to the live value it holds, without revealing it', () => {
    assert.ok(sameValues({ secrets: { pw: secret } }, { secrets: { pw: 's3cr3t-canary\nsecond line' } }));
    assert.ok(!sameValues({ secrets: { pw: secret } }, { secrets: { pw: 'other' } }));
    assert.ok(!sameValues({ secrets: { pw: secret } }, { secrets: {} }));
    assert.ok(sameValues({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }));
    assert.ok(!sameValues({ a: [1] }, { a: [1, 2] }));
  });

  it('stays whole through value layering', () => {
    const values = layerValues({ files: [], release: {}, cluster, replicas: [], secrets: { pw: secret } });
    assert.ok((values.secrets as Record<string, unknown>).pw instanceof Secret);
  });

  it('is unwrapped by the helm adapter only (and, for the Flux engine, where its valuesFrom Secrets are built)', () => {
    const src = join(packageRoot, 'src');
    const files = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => join(entry.parentPath, entry.name));
    const callers = (name: string) =>
      files
        .filter((file) => readFileSync(file, 'utf8').includes(`${name}(`))
        .map((file) => relative(src, file))
        .sort();
    assert.deepEqual(callers('revealValuesForHelm'), ['adapters/helm.ts', 'values/secret.ts']);
    assert.deepEqual(callers('revealSecretsForFlux'), [
      'gitops/bootstrap.ts',
      'gitops/tree.ts',
      'values/secret.ts',
    ]);
  });
});

describe('the output scan (second net)', () => {
  it('redacts short values where they stand as a value, not inside words', () => {
    registerSecretValue('q');
    registerSecretValue('zk');
    registerSecretValue('x9y');
    assert.equal(redact('password: q'), 'password: <redacted>');
    assert.equal(redact('pw="zk", other=x9y'), 'pw="<redacted>", other=<redacted>');
    assert.equal(redact('{"a":"x9y"}'), '{"a":"<redacted>"}');
    assert.equal(redact('quick zkx x9yz'), 'quick zkx x9yz');
    assert.equal(redact('zk'), '<redacted>', 'a string that is the value and nothing else');
    assert.equal(
      redact('data:\n  a: q\n  - k: zk # note\n'),
      'data:\n  a: <redacted>\n  - k: <redacted> # note\n',
    );
    assert.equal(redact('+  two: zk\n-  two: q'), '+  two: <redacted>\n-  two: <redacted>', 'in a diff too');
    registerSecretValue('1');
    assert.equal(redact('{\n  "revision": 1\n}'), '{\n  "revision": 1\n}', 'JSON output still parses');
    assert.equal(redact('deployed revision 1 (0.4s)'), 'deployed revision 1 (0.4s)');
  });

  it('redacts each line of a multi-line value, and its JSON-escaped form', () => {
    registerSecretValue('-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34\n-----END KEY-----');
    assert.doesNotMatch(redact('key: |\n    MIIBOgIBAAJBAKj34\n'), /MIIBOgIBAAJBAKj34/);
    assert.doesNotMatch(
      redact('{"key":"-----BEGIN KEY-----\\nMIIBOgIBAAJBAKj34\\n-----END KEY-----"}'),
      /MIIBOgIBAAJBAKj34/,
    );
  });

  it('redacts passwords in URLs and Slack webhook paths', () => {
    assert.equal(
      redactUrlCredentials('GET http://admin:pw@charts.example.com/index.yaml failed'),
      'GET http://admin:<redacted>@charts.example.com/index.yaml failed',
    );
    assert.equal(
      redact('posting to https://hooks.slack.com/services/T000/B000/XXXX timed out'),
      'posting to https://hooks.slack.com/services/<redacted> timed out',
    );
  });
});

describe('helm environment', () => {
  it('leaves Vault credentials out and extends HELM_PLUGINS', () => {
    const env = helmEnvironment({
      PATH: '/bin',
      VAULT_TOKEN: 't',
      VAULT_ADDR: 'http://v',
      BAO_TOKEN: 'b',
      HELM_PLUGINS: '/home/me/plugins',
    });
    assert.equal(env.VAULT_TOKEN, undefined);
    assert.equal(env.VAULT_ADDR, undefined);
    assert.equal(env.BAO_TOKEN, undefined);
    assert.equal(env.PATH, '/bin');
    assert.match(env.HELM_PLUGINS ?? '', /assets\/helm-plugins:\/home\/me\/plugins$/);
    assert.match(helmEnvironment({}).HELM_PLUGINS ?? '', /assets\/helm-plugins$/);
  });
});
