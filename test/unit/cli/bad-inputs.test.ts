import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_MODULES, main } from '../../../src/cli/main.js';
import { packageRoot } from '../../../src/paths.js';

/**
 * Bad inputs, as a new user (or a hostile one) would write them. Each must end in exactly one
 * line on stderr — `error: FILE:LINE:COL: what (what to do)` — with exit code 2, nothing else
 * printed, and no credential in it.
 */

const FLEET = `apiVersion: regatta/v1
kind: Fleet
environments:
  dev:
    branches: [dev, feature-*]
    chartRepository:
      url: http://127.0.0.1:8080
  prod:
    branches: [prod]
    chartRepository:
      url: oci://registry.example.com/charts
clusters:
  - name: dev-1
    env: dev
    region: us-central1
    kubeconfig: no-such-kubeconfig
  - name: dev-2
    env: dev
    region: europe-west1
    kubeconfig: no-such-kubeconfig
  - name: prod-1
    env: prod
    region: europe-west1
    kubeconfig: no-such-kubeconfig
    labels:
      provider: gcp
notifications:
  slack:
    webhookUrlEnv: SLACK_WEBHOOK_URL
vault:
  address: http://127.0.0.1:8200
`;

const RELEASE = `apiVersion: regatta/v1
kind: Release
metadata:
  name: web.shop
  environment: dev
spec:
  chart_name: web
  values:
    replicaCount: 1
  scaling:
    - context: dev-1
      replicas:
        - name: web
          count: 2
  secrets:
    - secret_id: db-password
      contexts:
        - name: default
          vaultPath: secret/dev/web
          vaultKey: password
`;

const OLD = `releases:
  - shop.world

shop.world:
  services:
    web:
      chart_name: web
      repo: git@example.com:shop/web
      contexts:
        dev-1:
          deployments:
            - name: web
              replicas: 3
`;

/** `text` with `from` replaced; `from` must occur, so a case cannot silently test the valid file. */
function sub(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

type FileContent = string | Buffer | { fifo: true } | { folder: true };

interface Case {
  name: string;
  /** Files beside regatta.yaml (FLEET) and r.yaml (RELEASE); null removes a default. */
  files?: Record<string, FileContent | null>;
  /** Arguments; {dir} is the case's folder. Default: plan with the fleet and r.yaml. */
  args?: string[];
  /** Standard input: the built CLI is run as a process. */
  stdin?: Buffer | string;
  message: RegExp;
  /** Where: [file, text whose first occurrence (or the nth) starts at the reported line:col]. */
  at:
    | [file: string, text: string, occurrence?: number]
    | [file: string, line: number, col: number]
    | [file: string];
  /** Must not appear in the output (credentials). */
  never?: string[];
}

const PLAN = ['plan', '--fleet', '{dir}/regatta.yaml', '{dir}/r.yaml'];
const MIGRATE = ['migrate', '{dir}/old.yaml', '--out', '{dir}/out', '--fleet', '{dir}/regatta.yaml'];
const VALIDATE = ['chart', 'validate', '-', '--env', 'dev', '--fleet', '{dir}/regatta.yaml'];

const fleet = (from: string, to: string) => ({ 'regatta.yaml': sub(FLEET, from, to) });
const release = (from: string, to: string) => ({ 'r.yaml': sub(RELEASE, from, to) });
const old = (from: string, to: string) => ({ 'old.yaml': sub(OLD, from, to) });
const withSpec = (extra: string) => release('  chart_name: web\n', `  chart_name: web\n${extra}`);
const oldPlan = ['plan', '--fleet', '{dir}/regatta.yaml', '{dir}/old.yaml'];
const billionLaughs = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
`;
const long = (n: number) => 'a'.repeat(n);

const cases: Case[] = [
  // ---- the fleet file: reading and YAML
  {
    name: 'fleet: empty',
    files: { 'regatta.yaml': '' },
    message: /the fleet file is empty/,
    at: ['regatta.yaml', 1, 1],
  },
  {
    name: 'fleet: only comments',
    files: { 'regatta.yaml': '# nothing yet\n' },
    message: /the fleet file is empty/,
    at: ['regatta.yaml', 1, 1],
  },
  {
    name: 'fleet: two documents',
    files: { 'regatta.yaml': `${FLEET}---\nkind: Fleet\n` },
    message: /one YAML document/,
    at: ['regatta.yaml', 'kind: Fleet', 2],
  },
  {
    name: 'fleet: /dev/zero',
    args: ['plan', '--fleet', '/dev/zero'],
    message: /a device, not a file/,
    at: ['/dev/zero'],
  },
  {
    name: 'fleet: a FIFO',
    files: { 'fifo.yaml': { fifo: true } },
    args: ['plan', '--fleet', '{dir}/fifo.yaml'],
    message: /named pipe/,
    at: ['fifo.yaml'],
  },
  {
    name: 'fleet: a folder',
    files: { 'f.yaml': { folder: true } },
    args: ['plan', '--fleet', '{dir}/f.yaml'],
    message: /a folder, not a file/,
    at: ['f.yaml'],
  },
  {
    name: 'fleet: missing',
    args: ['plan', '--fleet', '{dir}/nope.yaml'],
    message: /cannot read it: no such file/,
    at: ['nope.yaml'],
  },
  {
    name: 'fleet: over 4 MiB',
    files: { 'regatta.yaml': `${FLEET}# ${'x'.repeat(4 * 1024 * 1024)}\n` },
    message: /larger than 4 MiB/,
    at: ['regatta.yaml'],
  },
  {
    name: 'fleet: invalid UTF-8',
    files: {
      'regatta.yaml': Buffer.concat([
        Buffer.from('apiVersion: regatta/v1\nkind: Fl'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('eet\n'),
      ]),
    },
    message: /invalid UTF-8 \(byte 0xc3/,
    at: ['regatta.yaml', 2, 9],
  },
  {
    name: 'fleet: a lone continuation byte',
    files: {
      'regatta.yaml': Buffer.concat([
        Buffer.from(FLEET),
        Buffer.from('# caf\u00e9 '),
        Buffer.from([0x80]),
        Buffer.from('\n'),
      ]),
    },
    message: /invalid UTF-8 \(byte 0x80/,
    at: ['regatta.yaml', 32, 8],
  },
  {
    name: 'fleet: unclosed double quote',
    files: fleet('kind: Fleet', 'kind: "Fleet'),
    message: /Missing closing "quote/,
    at: ['regatta.yaml', '"Fleet'],
  },
  {
    name: 'fleet: unclosed single quote',
    files: fleet('region: us-central1', "region: 'us-central1"),
    message: /Missing closing 'quote/,
    at: ['regatta.yaml', "'us-central1"],
  },
  {
    name: 'fleet: tab indentation',
    files: fleet('  dev:\n    branches', '  dev:\n\tbranches'),
    message: /malformed YAML/,
    at: ['regatta.yaml', '\tbranches'],
  },
  {
    name: 'fleet: duplicate key',
    files: fleet('kind: Fleet\n', 'kind: Fleet\nkind: Fleet\n'),
    message: /malformed YAML: Map keys must be unique/,
    at: ['regatta.yaml', 'kind: Fleet', 2],
  },
  {
    name: 'fleet: unclosed flow sequence',
    files: fleet('branches: [prod]', 'branches: [prod'),
    message: /malformed YAML: Flow sequence .* end with a \]/,
    at: ['regatta.yaml', '[prod'],
  },
  {
    name: 'fleet: alias to no anchor',
    files: fleet('env: prod', 'env: *prod'),
    message: /alias \*prod refers to no anchor/,
    at: ['regatta.yaml', '*prod'],
  },
  {
    name: 'fleet: nested 2000 deep',
    files: { 'regatta.yaml': `a: ${'{k: '.repeat(2000)}1${'}'.repeat(2000)}\n` },
    message: /malformed YAML: Maximum call stack size exceeded/,
    at: ['regatta.yaml', 1, 1],
  },
  {
    name: 'fleet: billion laughs',
    files: { 'regatta.yaml': billionLaughs },
    message: /aliases expand to too many values/,
    at: ['regatta.yaml', '*a'],
  },
  // ---- the fleet file: schema
  {
    name: 'fleet: wrong apiVersion',
    files: fleet('apiVersion: regatta/v1', 'apiVersion: v1'),
    message: /^apiVersion must be "regatta\/v1"/,
    at: ['regatta.yaml', 'v1'],
  },
  {
    name: 'fleet: wrong kind',
    files: fleet('kind: Fleet', 'kind: Release'),
    message: /^kind must be "Fleet"/,
    at: ['regatta.yaml', 'Release'],
  },
  {
    name: 'fleet: misspelt environments',
    files: fleet('environments:', 'enviroments:'),
    message: /unknown field enviroments in the fleet file; did you mean environments\?/,
    at: ['regatta.yaml', 'enviroments'],
  },
  {
    name: 'fleet: misspelt clusters',
    files: fleet('clusters:', 'clusers:'),
    message: /unknown field clusers .*did you mean clusters\?/,
    at: ['regatta.yaml', 'clusers'],
  },
  {
    name: 'fleet: misspelt notifications',
    files: fleet('notifications:', 'notification:'),
    message: /did you mean notifications\?/,
    at: ['regatta.yaml', 'notification:'],
  },
  {
    name: 'fleet: unknown top-level key',
    files: { 'regatta.yaml': `${FLEET}colour: blue\n` },
    message: /unknown field colour in the fleet file \(remove it/,
    at: ['regatta.yaml', 'colour'],
  },
  {
    name: 'fleet: no clusters',
    files: { 'regatta.yaml': FLEET.slice(0, FLEET.indexOf('clusters:')) },
    message: /the document is missing clusters/,
    at: ['regatta.yaml', 1, 1],
  },
  {
    name: 'fleet: environments is a list',
    files: {
      'regatta.yaml': FLEET.replace(/environments:[\s\S]*?clusters:/, 'environments: [dev, prod]\nclusters:'),
    },
    message: /^environments must be a map/,
    at: ['regatta.yaml', '[dev, prod]'],
  },
  {
    name: 'fleet: environments is empty',
    files: { 'regatta.yaml': FLEET.replace(/environments:[\s\S]*?clusters:/, 'environments: {}\nclusters:') },
    message: /^environments must have at least 1 entry/,
    at: ['regatta.yaml', '{}'],
  },
  {
    name: 'fleet: environment is a string',
    files: fleet(
      '  prod:\n    branches: [prod]\n    chartRepository:\n      url: oci://registry.example.com/charts\n',
      '  prod: yes\n',
    ),
    message: /^environments\.prod must be a map/,
    at: ['regatta.yaml', 'yes'],
  },
  {
    name: 'fleet: branches is a string',
    files: fleet('branches: [prod]', 'branches: prod'),
    message: /^environments\.prod\.branches must be a list/,
    at: ['regatta.yaml', 'prod\n'],
  },
  {
    name: 'fleet: empty branch',
    files: fleet('branches: [prod]', 'branches: [""]'),
    message: /^environments\.prod\.branches\[0\] must not be empty/,
    at: ['regatta.yaml', '""'],
  },
  {
    name: 'fleet: repository URL without scheme',
    files: fleet('url: http://127.0.0.1:8080', 'url: 127.0.0.1:8080'),
    message: /url must be a URL starting with http:\/\/, https:\/\/ or oci:\/\//,
    at: ['regatta.yaml', '127.0.0.1:8080'],
  },
  {
    name: 'fleet: repository URL with a space',
    files: fleet('url: http://127.0.0.1:8080', 'url: http://127.0.0.1:8080/my charts'),
    message: /without spaces/,
    at: ['regatta.yaml', 'http://127.0.0.1:8080/my'],
  },
  {
    name: 'fleet: repository URL that does not parse',
    files: fleet('url: http://127.0.0.1:8080', 'url: http://127.0.0.1:99999'),
    message: /chartRepository\.url is not a valid URL/,
    at: ['regatta.yaml', 'http://127.0.0.1:99999'],
  },
  {
    name: 'fleet: repository URL with a password that does not parse',
    files: fleet('url: http://127.0.0.1:8080', 'url: http://admin:hunter22@127.0.0.1:99999'),
    message: /not a valid URL: http:\/\/admin:<redacted>@127/,
    at: ['regatta.yaml', 'http://admin'],
    never: ['hunter22'],
  },
  {
    name: 'fleet: repository URL with a password and a space',
    files: fleet('url: http://127.0.0.1:8080', 'url: "http://admin:s3cret@127.0.0.1/my charts"'),
    message: /without spaces/,
    at: ['regatta.yaml', '"http://admin'],
    never: ['s3cret'],
  },
  {
    name: 'fleet: repository type',
    files: fleet(
      'url: oci://registry.example.com/charts',
      'url: oci://registry.example.com/charts\n      type: docker',
    ),
    message: /type must be one of "chartmuseum", "oci"/,
    at: ['regatta.yaml', 'docker'],
  },
  {
    name: 'fleet: plainHttp as text',
    files: fleet(
      'url: oci://registry.example.com/charts',
      'url: oci://registry.example.com/charts\n      plainHttp: "yes"',
    ),
    message: /plainHttp must be true or false/,
    at: ['regatta.yaml', '"yes"'],
  },
  {
    name: 'fleet: misspelt username',
    files: fleet('url: http://127.0.0.1:8080', 'url: http://127.0.0.1:8080\n      usrname: ci'),
    message: /did you mean username\?/,
    at: ['regatta.yaml', 'usrname'],
  },
  {
    name: 'fleet: clusters is a map',
    files: {
      'regatta.yaml': FLEET.replace(
        /clusters:[\s\S]*?notifications:/,
        'clusters:\n  dev-1: {}\nnotifications:',
      ),
    },
    message: /^clusters must be a list/,
    at: ['regatta.yaml', 'dev-1: {}'],
  },
  {
    name: 'fleet: clusters is empty',
    files: {
      'regatta.yaml': FLEET.replace(/clusters:[\s\S]*?notifications:/, 'clusters: []\nnotifications:'),
    },
    message: /^clusters must list at least 1/,
    at: ['regatta.yaml', '[]'],
  },
  {
    name: 'fleet: cluster without name',
    files: fleet('  - name: dev-2\n    env: dev', '  - env: dev'),
    message: /clusters\[1\] is missing name/,
    at: ['regatta.yaml', 'env: dev', 2],
  },
  {
    name: 'fleet: cluster name in capitals',
    files: fleet('name: dev-2', 'name: Dev-2'),
    message: /clusters\[1\]\.name must be lowercase letters, digits and "-"/,
    at: ['regatta.yaml', 'Dev-2'],
  },
  {
    name: 'fleet: cluster name with an underscore',
    files: fleet('name: dev-2', 'name: dev_2'),
    message: /a DNS label/,
    at: ['regatta.yaml', 'dev_2'],
  },
  {
    name: 'fleet: cluster name of 64 characters',
    files: fleet('name: dev-2', `name: ${long(64)}`),
    message: /at most 63 characters/,
    at: ['regatta.yaml', long(64)],
  },
  {
    name: 'fleet: cluster without region',
    files: fleet(
      '    region: europe-west1\n    kubeconfig: no-such-kubeconfig\n  - name: prod-1',
      '    kubeconfig: no-such-kubeconfig\n  - name: prod-1',
    ),
    message: /clusters\[1\] is missing region/,
    at: ['regatta.yaml', 'name: dev-2'],
  },
  {
    name: 'fleet: misspelt region',
    files: fleet(
      '    region: europe-west1\n    kubeconfig: no-such-kubeconfig\n  - name: prod-1',
      '    regoin: europe-west1\n    kubeconfig: no-such-kubeconfig\n  - name: prod-1',
    ),
    message: /unknown field clusters\[1\]\.regoin .*did you mean region\?/,
    at: ['regatta.yaml', 'regoin'],
  },
  {
    name: 'fleet: cluster in an unknown environment',
    files: fleet('    env: prod', '    env: qa'),
    message: /unknown environment "qa"/,
    at: ['regatta.yaml', 'qa'],
  },
  {
    name: 'fleet: cluster listed twice',
    files: fleet('name: dev-2', 'name: dev-1'),
    message: /cluster dev-1 is listed twice/,
    at: ['regatta.yaml', 'dev-1', 2],
  },
  {
    name: 'fleet: cloud as text',
    files: fleet('    env: prod', '    env: prod\n    cloud: "true"'),
    message: /cloud must be true or false/,
    at: ['regatta.yaml', '"true"'],
  },
  {
    name: 'fleet: label value a number',
    files: fleet('provider: gcp', 'provider: 3'),
    message: /labels\.provider must be a string, not 3/,
    at: ['regatta.yaml', '3\n'],
  },
  {
    name: 'fleet: globals a list',
    files: fleet('    env: prod', '    env: prod\n    globals: [a]'),
    message: /globals must be a map/,
    at: ['regatta.yaml', '[a]'],
  },
  {
    name: 'fleet: empty context',
    files: fleet('    env: prod', '    env: prod\n    context: ""'),
    message: /context must not be empty/,
    at: ['regatta.yaml', '""'],
  },
  {
    name: 'fleet: webhook URL instead of its variable',
    files: fleet(
      'webhookUrlEnv: SLACK_WEBHOOK_URL',
      'webhookUrlEnv: https://hooks.slack.com/services/T0/B0/XyZsecret',
    ),
    message: /the name of an environment variable/,
    at: ['regatta.yaml', 'https://hooks'],
    never: ['XyZsecret'],
  },
  {
    name: 'fleet: Vault address without scheme',
    files: fleet('address: http://127.0.0.1:8200', 'address: 127.0.0.1:8200'),
    message: /vault\.address must be a URL starting with http:\/\/ or https:\/\//,
    at: ['regatta.yaml', '127.0.0.1:8200'],
  },
  {
    name: 'fleet: AppRole without roleId',
    files: fleet(
      'address: http://127.0.0.1:8200',
      'address: http://127.0.0.1:8200\n  auth:\n    approle:\n      mount: approle',
    ),
    message: /vault\.auth\.approle is missing roleId/,
    at: ['regatta.yaml', 'mount: approle'],
  },
  {
    name: 'fleet: misspelt Vault key',
    files: fleet('address: http://127.0.0.1:8200', 'adress: http://127.0.0.1:8200'),
    message: /did you mean address\?/,
    at: ['regatta.yaml', 'adress'],
  },
  // ---- release files: reading and YAML
  {
    name: 'release: empty',
    files: { 'r.yaml': '' },
    message: /holds no release \(it is empty, or only comments\)/,
    at: ['r.yaml', 1, 1],
  },
  {
    name: 'release: only comments',
    files: { 'r.yaml': '# TODO\n# later\n' },
    message: /holds no release/,
    at: ['r.yaml', 1, 1],
  },
  { name: 'release: a FIFO', files: { 'r.yaml': { fifo: true } }, message: /named pipe/, at: ['r.yaml'] },
  {
    name: 'release: /dev/zero',
    args: ['plan', '--fleet', '{dir}/regatta.yaml', '/dev/zero'],
    message: /a device, not a file/,
    at: ['/dev/zero'],
  },
  {
    name: 'release: missing path',
    args: ['plan', '--fleet', '{dir}/regatta.yaml', '{dir}/nope.yaml'],
    message: /no such file or folder/,
    at: ['nope.yaml'],
  },
  {
    name: 'release: over 4 MiB',
    files: { 'r.yaml': `${RELEASE}# ${'y'.repeat(5 * 1024 * 1024)}\n` },
    message: /larger than 4 MiB/,
    at: ['r.yaml'],
  },
  {
    name: 'release: invalid UTF-8',
    files: {
      'r.yaml': Buffer.concat([
        Buffer.from('apiVersion: regatta/v1\nkind: Release\nmetadata:\n  name: w'),
        Buffer.from([0xff]),
        Buffer.from('eb\n'),
      ]),
    },
    message: /invalid UTF-8 \(byte 0xff/,
    at: ['r.yaml', 4, 10],
  },
  {
    name: 'release: overlong UTF-8 encoding',
    files: { 'r.yaml': Buffer.concat([Buffer.from('a: '), Buffer.from([0xc0, 0xaf]), Buffer.from('\n')]) },
    message: /invalid UTF-8 \(byte 0xc0/,
    at: ['r.yaml', 1, 4],
  },
  {
    name: 'release: UTF-16 surrogate in UTF-8',
    files: {
      'r.yaml': Buffer.concat([Buffer.from('a: '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]),
    },
    message: /invalid UTF-8 \(byte 0xed/,
    at: ['r.yaml', 1, 4],
  },
  {
    name: 'release: unclosed quote',
    files: release('chart_name: web', 'chart_name: "web'),
    message: /Missing closing "quote/,
    at: ['r.yaml', '"web'],
  },
  {
    name: 'release: alias to no anchor',
    files: release('count: 2', 'count: *two'),
    message: /alias \*two refers to no anchor/,
    at: ['r.yaml', '*two'],
  },
  {
    name: 'release: billion laughs in values',
    files: release(
      '    replicaCount: 1\n',
      `    replicaCount: 1\n${billionLaughs.trimEnd().replace(/^/gm, '    ')}\n`,
    ),
    message: /aliases expand to too many values/,
    at: ['r.yaml', '*a'],
  },
  {
    name: 'release: a list, not a map',
    files: { 'r.yaml': '- web\n- api\n' },
    message: /not a release document/,
    at: ['r.yaml', 1, 1],
  },
  {
    name: 'release: no kind',
    files: release('kind: Release\n', ''),
    message: /not a release document/,
    at: ['r.yaml', 1, 1],
  },
  // ---- release files: schema
  {
    name: 'release: wrong apiVersion',
    files: release('apiVersion: regatta/v1', 'apiVersion: v2'),
    message: /^apiVersion must be one of "v1", "regatta\/v1", not the string "v2"/,
    at: ['r.yaml', 'v2'],
  },
  {
    name: 'release: wrong kind',
    files: release('kind: Release', 'kind: Deployment'),
    message: /^kind must be one of/,
    at: ['r.yaml', 'Deployment'],
  },
  {
    name: 'release: misspelt metadata',
    files: release('metadata:', 'metdata:'),
    message: /unknown field metdata in the release file; did you mean metadata\?/,
    at: ['r.yaml', 'metdata'],
  },
  {
    name: 'release: misspelt spec',
    files: release('spec:', 'spce:'),
    message: /did you mean spec\?/,
    at: ['r.yaml', 'spce'],
  },
  {
    name: 'release: misspelt chart_name',
    files: release('chart_name: web', 'chart_nme: web'),
    message: /unknown field spec\.chart_nme .*did you mean chart_name\?/,
    at: ['r.yaml', 'chart_nme'],
  },
  {
    name: 'release: misspelt values_files',
    files: withSpec('  value_files: [a.yaml]\n'),
    message: /did you mean values_files\?/,
    at: ['r.yaml', 'value_files'],
  },
  {
    name: 'release: name in capitals',
    files: release('name: web.shop', 'name: Web.shop'),
    message: /metadata\.name must be RELEASE or RELEASE\.NAMESPACE in lowercase/,
    at: ['r.yaml', 'Web.shop'],
  },
  {
    name: 'release: name with an underscore',
    files: release('name: web.shop', 'name: my_web'),
    message: /metadata\.name must be RELEASE/,
    at: ['r.yaml', 'my_web'],
  },
  {
    name: 'release: name of 54 characters',
    files: release('name: web.shop', `name: ${long(54)}.shop`),
    message: /the release at most 53 characters/,
    at: ['r.yaml', long(54)],
  },
  {
    name: 'release: namespace of 64 characters',
    files: release('name: web.shop', `name: web.${long(64)}`),
    message: /the namespace at most 63/,
    at: ['r.yaml', 'web.aaa'],
  },
  {
    name: 'release: name with two dots',
    files: release('name: web.shop', 'name: web.shop.eu'),
    message: /metadata\.name must be RELEASE/,
    at: ['r.yaml', 'web.shop.eu'],
  },
  {
    name: 'release: name a number',
    files: release('name: web.shop', 'name: 42'),
    message: /metadata\.name must be a string, not 42/,
    at: ['r.yaml', '42'],
  },
  {
    name: 'release: no environment',
    files: release('  environment: dev\n', ''),
    message: /metadata is missing environment/,
    at: ['r.yaml', 'name: web.shop'],
  },
  {
    name: 'release: unknown environment',
    files: release('environment: dev', 'environment: qa'),
    message: /unknown environment "qa"/,
    at: ['r.yaml', 'qa'],
  },
  {
    name: 'release: branch a number',
    files: release('environment: dev', 'environment: dev\n  branch: 7'),
    message: /metadata\.branch must be a string, not 7/,
    at: ['r.yaml', '7\n'],
  },
  {
    name: 'release: no chart_name',
    files: release('  chart_name: web\n', ''),
    message: /spec is missing chart_name/,
    at: ['r.yaml', 'values:'],
  },
  {
    name: 'release: empty chart_name',
    files: release('chart_name: web', 'chart_name: ""'),
    message: /spec\.chart_name must not be empty/,
    at: ['r.yaml', '""'],
  },
  {
    name: 'release: slack_channel a number',
    files: withSpec('  slack_channel: 5\n'),
    message: /slack_channel must be a string, not 5/,
    at: ['r.yaml', '5\n'],
  },
  {
    name: 'release: values a list',
    files: release('  values:\n    replicaCount: 1\n', '  values: [1]\n'),
    message: /spec\.values must be a map/,
    at: ['r.yaml', '[1]'],
  },
  {
    name: 'release: scaling context of another environment',
    files: release('context: dev-1', 'context: prod-1'),
    message: /scaling context prod-1 is not a cluster of environment dev/,
    at: ['r.yaml', 'prod-1'],
  },
  {
    name: 'release: negative replica count',
    files: release('count: 2', 'count: -1'),
    message: /count must be at least 0, not -1/,
    at: ['r.yaml', '-1\n', 2],
  },
  {
    name: 'release: replica count over int32',
    files: release('count: 2', 'count: 99999999999'),
    message: /count must be at most 2147483647, not 99999999999/,
    at: ['r.yaml', '99999999999'],
  },
  {
    name: 'release: replica count in words',
    files: release('count: 2', 'count: three'),
    message: /count must be a whole number, not the string "three"/,
    at: ['r.yaml', 'three'],
  },
  {
    name: 'release: fractional replica count',
    files: release('count: 2', 'count: 1.5'),
    message: /count must be a whole number, not 1\.5/,
    at: ['r.yaml', '1.5'],
  },
  {
    name: 'release: replica entry without name',
    files: release('        - name: web\n          count: 2', '        - count: 2'),
    message: /replicas\[0\] is missing name/,
    at: ['r.yaml', 'count: 2'],
  },
  {
    name: 'release: scaling a map',
    files: release(
      '  scaling:\n    - context: dev-1\n      replicas:\n        - name: web\n          count: 2\n',
      '  scaling:\n    dev-1: 2\n',
    ),
    message: /spec\.scaling must be a list/,
    at: ['r.yaml', 'dev-1: 2'],
  },
  {
    name: 'release: misspelt replicas',
    files: release('      replicas:', '      replica:'),
    message: /did you mean replicas\?/,
    at: ['r.yaml', 'replica:'],
  },
  {
    name: 'release: secret without contexts',
    files: release(
      '      contexts:\n        - name: default\n          vaultPath: secret/dev/web\n          vaultKey: password\n',
      '',
    ),
    message: /spec\.secrets\[0\] is missing contexts/,
    at: ['r.yaml', 'secret_id'],
  },
  {
    name: 'release: secret_id with a slash',
    files: release('secret_id: db-password', 'secret_id: db/password'),
    message: /secret_id must be letters, digits, "\.", "_" and "-" only/,
    at: ['r.yaml', 'db/password'],
  },
  {
    name: 'release: secret context list empty',
    files: release(
      '      contexts:\n        - name: default\n          vaultPath: secret/dev/web\n          vaultKey: password\n',
      '      contexts: []\n',
    ),
    message: /contexts must list at least 1/,
    at: ['r.yaml', '[]'],
  },
  {
    name: 'release: secret context of another environment',
    files: release('- name: default', '- name: prod-1'),
    message: /context prod-1 is not a cluster of environment dev/,
    at: ['r.yaml', 'prod-1'],
  },
  {
    name: 'release: secret_id twice',
    files: {
      'r.yaml':
        RELEASE +
        '    - secret_id: db-password\n      contexts:\n        - name: default\n          vaultPath: secret/dev/web\n          vaultKey: other\n',
    },
    message: /secret_id db-password is used twice/,
    at: ['r.yaml', 'db-password', 2],
  },
  {
    name: 'release: misspelt vaultKey',
    files: release('vaultKey: password', 'vault_key: password'),
    message: /did you mean vaultKey\?/,
    at: ['r.yaml', 'vault_key'],
  },
  {
    name: 'release: defined twice',
    files: { 'r.yaml': `${RELEASE}---\n${RELEASE}` },
    message: /release web in namespace shop is defined twice/,
    at: ['r.yaml', 'apiVersion', 2],
  },
  {
    name: 'release: repository chart in an environment without a repository',
    files: { 'regatta.yaml': sub(FLEET, '    chartRepository:\n      url: http://127.0.0.1:8080\n', '') },
    message: /chart web comes from the chart repository of environment dev, which has none/,
    at: ['r.yaml', 'web\n'],
  },
  // ---- files a release refers to
  {
    name: 'values_files: missing',
    files: withSpec('  values_files:\n    - values/common.yaml\n'),
    message: /values_files\[0\] values\/common\.yaml: cannot read it: no such file/,
    at: ['r.yaml', 'values/common.yaml'],
  },
  {
    name: 'values_files: second one missing',
    files: { ...withSpec('  values_files: [a.yaml, b.yaml]\n'), 'a.yaml': 'x: 1\n' },
    message: /values_files\[1\] b\.yaml: cannot read it/,
    at: ['r.yaml', 'b.yaml'],
  },
  {
    name: 'values_files: a FIFO',
    files: { ...withSpec('  values_files: [v.yaml]\n'), 'v.yaml': { fifo: true } },
    message: /values_files\[0\] v\.yaml: this is a named pipe/,
    at: ['r.yaml', 'v.yaml'],
  },
  {
    name: 'values_files: a folder',
    files: { ...withSpec('  values_files: [v]\n'), v: { folder: true } },
    message: /values_files\[0\] v: this is a folder/,
    at: ['r.yaml', 'v]'],
  },
  {
    name: 'values_files: /dev/zero',
    files: withSpec('  values_files: [/dev/zero]\n'),
    message: /values_files\[0\] \/dev\/zero: this is a device/,
    at: ['r.yaml', '/dev/zero'],
  },
  {
    name: 'values_files: a list inside',
    files: { ...withSpec('  values_files: [v.yaml]\n'), 'v.yaml': '- a\n- b\n' },
    message: /values_files\[0\] v\.yaml must hold a map of values/,
    at: ['v.yaml', 1, 1],
  },
  {
    name: 'values_files: malformed inside',
    files: { ...withSpec('  values_files: [v.yaml]\n'), 'v.yaml': 'a: 1\nb: "open\n' },
    message: /Missing closing "quote/,
    at: ['v.yaml', '"open'],
  },
  {
    name: 'values_files: invalid UTF-8 inside',
    files: {
      ...withSpec('  values_files: [v.yaml]\n'),
      'v.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xfe, 0x0a]),
    },
    message: /invalid UTF-8/,
    at: ['v.yaml', 1, 4],
  },
  {
    name: 'values_files: alias to no anchor inside',
    files: { ...withSpec('  values_files: [v.yaml]\n'), 'v.yaml': 'a: *b\n' },
    message: /alias \*b refers to no anchor/,
    at: ['v.yaml', '*b'],
  },
  {
    name: 'chart_path: missing folder',
    files: withSpec('  chart_path: charts/web\n'),
    message: /chart_path charts\/web is no chart folder/,
    at: ['r.yaml', 'charts/web'],
  },
  {
    name: 'chart_path: a file',
    files: { ...withSpec('  chart_path: Chart.yaml\n'), 'Chart.yaml': 'name: web\n' },
    message: /chart_path Chart\.yaml is no chart folder/,
    at: ['r.yaml', 'Chart.yaml'],
  },
  {
    name: 'chart_path: folder without Chart.yaml',
    files: { ...withSpec('  chart_path: web\n'), web: { folder: true } },
    message: /chart_path web is no chart folder/,
    at: ['r.yaml', 'web\n  values'],
  },
  {
    name: 'secrets_file: missing',
    files: withSpec('  secrets_file: secrets.yaml\n'),
    message: /secrets_file secrets\.yaml: cannot read it: no such file/,
    at: ['r.yaml', 'secrets.yaml'],
  },
  {
    name: 'secrets_file: empty',
    files: { ...withSpec('  secrets_file: secrets.yaml\n'), 'secrets.yaml': '# none\n' },
    message: /secrets_file secrets\.yaml is empty/,
    at: ['r.yaml', 'secrets.yaml'],
  },
  {
    name: 'secrets_file: a FIFO',
    files: { ...withSpec('  secrets_file: s.yaml\n'), 's.yaml': { fifo: true } },
    message: /secrets_file s\.yaml: this is a named pipe/,
    at: ['r.yaml', 's.yaml'],
  },
  {
    name: 'secrets_file: misspelt key inside',
    files: { ...withSpec('  secrets_file: s.yaml\n'), 's.yaml': 'secret:\n  - secret_id: a\n' },
    message: /unknown field secret in the secrets file; did you mean secrets\?/,
    at: ['s.yaml', 'secret:'],
  },
  {
    name: 'secrets_file: malformed inside',
    files: { ...withSpec('  secrets_file: s.yaml\n'), 's.yaml': "secrets: ['a\n" },
    message: /Missing closing 'quote/,
    at: ['s.yaml', "'a"],
  },
  {
    name: 'secrets_file: secret_id also in the release',
    files: {
      ...withSpec('  secrets_file: s.yaml\n'),
      's.yaml':
        'secrets:\n  - secret_id: db-password\n    contexts:\n      - { name: default, vaultPath: a, vaultKey: b }\n',
    },
    message: /secret_id db-password is used twice/,
    at: ['s.yaml', 'db-password'],
  },
  // ---- the seed's old format, read by plan
  {
    name: 'old: umbrella with capitals',
    files: { 'old.yaml': OLD.replace(/shop\.world/g, 'Shop.World') },
    args: oldPlan,
    message: /release Shop\.World: its namespace World must be lowercase/,
    at: ['old.yaml', 'Shop.World'],
  },
  {
    name: 'old: service with an underscore',
    files: old('    web:', '    My_Web:'),
    args: oldPlan,
    message: /service name My_Web \(release My_Web\.world\) must be RELEASE/,
    at: ['old.yaml', 'My_Web'],
  },
  {
    name: 'old: replicas in words',
    files: old('replicas: 3', 'replicas: three'),
    args: oldPlan,
    message:
      /shop\.world\.services\.web\.contexts\.dev-1\.deployments\[0\]\.replicas must be a whole number, not the string "three"/,
    at: ['old.yaml', 'three'],
  },
  {
    name: 'old: replicas over int32',
    files: old('replicas: 3', 'replicas: 99999999999'),
    args: oldPlan,
    message: /replicas must be at most 2147483647/,
    at: ['old.yaml', '99999999999'],
  },
  {
    name: 'old: negative replicas',
    files: old('replicas: 3', 'replicas: -3'),
    args: oldPlan,
    message: /replicas must be at least 0/,
    at: ['old.yaml', '-3'],
  },
  {
    name: 'old: deployment without name',
    files: old('            - name: web\n              replicas: 3', '            - replicas: 3'),
    args: oldPlan,
    message: /deployments\[0\] is missing name/,
    at: ['old.yaml', 'replicas: 3'],
  },
  {
    name: 'old: deployments as a map',
    files: old(
      '          deployments:\n            - name: web\n              replicas: 3',
      '          deployments:\n            web: 3',
    ),
    args: oldPlan,
    message: /contexts\.dev-1\.deployments must be a list of \{ name, replicas \}, not a map/,
    at: ['old.yaml', 'web: 3'],
  },
  {
    name: 'old: context not in the fleet',
    files: old('        dev-1:', '        mars-1:'),
    args: oldPlan,
    message: /context mars-1 is no cluster of the fleet/,
    at: ['old.yaml', 'mars-1'],
  },
  {
    name: 'old: service without chart_name',
    files: old('      chart_name: web\n', ''),
    args: oldPlan,
    message: /service web has no chart_name/,
    at: ['old.yaml', 'web:'],
  },
  {
    name: 'old: release listed, not described',
    files: old('  - shop.world\n', '  - shop.world\n  - shop.mars\n'),
    args: oldPlan,
    message: /release shop\.mars is listed but not described/,
    at: ['old.yaml', 'shop.mars'],
  },
  {
    name: 'old: release name not a string',
    files: old('  - shop.world\n', '  - shop.world\n  - [a]\n'),
    args: oldPlan,
    message: /releases\[1\] must be the name of a release, not a list/,
    at: ['old.yaml', '[a]'],
  },
  {
    name: 'old: services a list',
    files: { 'old.yaml': 'releases: [shop.world]\nshop.world:\n  services: [web]\n' },
    args: oldPlan,
    message: /shop\.world\.services must be a map/,
    at: ['old.yaml', '[web]'],
  },
  {
    name: 'old: service without contexts',
    files: old(
      '      contexts:\n        dev-1:\n          deployments:\n            - name: web\n              replicas: 3\n',
      '',
    ),
    args: oldPlan,
    message: /service web has no contexts/,
    at: ['old.yaml', 'web:'],
  },
  {
    name: 'old: context a list',
    files: old(
      '        dev-1:\n          deployments:\n            - name: web\n              replicas: 3\n',
      '        dev-1: [web]\n',
    ),
    args: oldPlan,
    message: /contexts\.dev-1 must be a map with deployments:, not a list/,
    at: ['old.yaml', '[web]'],
  },
  // ---- migrate
  {
    name: 'migrate: --out is a file',
    files: { 'old.yaml': OLD },
    args: ['migrate', '{dir}/old.yaml', '--out', '{dir}/regatta.yaml', '--fleet', '{dir}/regatta.yaml'],
    message: /--out .* is a file, not a folder/,
    at: ['regatta.yaml'],
  },
  {
    name: 'migrate: the target exists',
    files: { 'old.yaml': OLD, 'out/web.yaml': '# mine\n' },
    args: MIGRATE,
    message: /out\/web\.yaml exists/,
    at: ['old.yaml', 'web:'],
  },
  {
    name: 'migrate: not an old-format file',
    files: { 'old.yaml': RELEASE },
    args: MIGRATE,
    message: /not an old-format file/,
    at: ['old.yaml', 1, 1],
  },
  {
    name: 'migrate: empty file',
    files: { 'old.yaml': '' },
    args: MIGRATE,
    message: /this file is empty/,
    at: ['old.yaml', 1, 1],
  },
  {
    name: 'migrate: replicas in words',
    files: old('replicas: 3', 'replicas: three'),
    args: MIGRATE,
    message: /must be a whole number/,
    at: ['old.yaml', 'three'],
  },
  // ---- chart validate on standard input
  {
    name: 'chart validate: malformed YAML on stdin',
    args: VALIDATE,
    stdin: 'kind: Pod\nmetadata: {name: "a}\n',
    message: /Missing closing "quote/,
    at: ['<stdin>', '"a}'],
  },
  {
    name: 'chart validate: random bytes on stdin',
    args: VALIDATE,
    stdin: Buffer.from([0x6b, 0x3a, 0x20, 0x9f, 0x92, 0x96, 0x00, 0x1b]),
    message: /invalid UTF-8 \(byte 0x9f/,
    at: ['<stdin>', 1, 4],
  },
  {
    name: 'chart validate: not an object on stdin',
    args: VALIDATE,
    stdin: '- just\n- a list\n',
    message: /not a Kubernetes object/,
    at: ['<stdin>', 1, 1],
  },
  {
    name: 'chart validate: nothing on stdin',
    args: VALIDATE,
    stdin: '',
    message: /no Kubernetes object in it/,
    at: ['<stdin>', 1, 1],
  },
  {
    name: 'chart validate: alias bomb on stdin',
    args: VALIDATE,
    stdin: `kind: Pod\n${billionLaughs}`,
    message: /aliases expand to too many values/,
    at: ['<stdin>', '*a'],
  },
  {
    name: 'chart validate: a FIFO',
    files: { 'm.yaml': { fifo: true } },
    args: ['chart', 'validate', '{dir}/m.yaml', '--env', 'dev', '--fleet', '{dir}/regatta.yaml'],
    message: /named pipe/,
    at: ['m.yaml'],
  },
];

const root = mkdtempSync(join(tmpdir(), 'regatta-bad-inputs-'));
// main() loads a command's module when it first runs one: loaded here, before stdout is captured,
// so that the test runner's own output (on stdout) is never written while main() waits for one.
before(() => Promise.all(Object.values(COMMAND_MODULES).map((load) => load())));
after(() => {
  // A FIFO or folder without permissions must not stop the clean-up.
  execFileSync('rm', ['-rf', root]);
});

function materialize(testCase: Case, index: number): string {
  const dir = join(root, String(index));
  const files: Record<string, FileContent | null> = {
    'regatta.yaml': FLEET,
    'r.yaml': RELEASE,
    ...testCase.files,
  };
  for (const [name, content] of Object.entries(files)) {
    if (content === null) continue;
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof content === 'object' && 'fifo' in content) execFileSync('mkfifo', [path]);
    else if (typeof content === 'object' && 'folder' in content) mkdirSync(path);
    else writeFileSync(path, content);
  }
  return dir;
}

/** main() in this process, with stdout and stderr captured. */
async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => (
    out.push(String(chunk)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    err.push(String(chunk)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** The built CLI as a process, for standard input. */
function runProcess(
  args: string[],
  stdin: Buffer | string,
): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(packageRoot, 'bin', 'regatta.js'), ...args], {
    input: stdin,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function expectedPrefix(testCase: Case, dir: string): string {
  const [file, second, third] = testCase.at;
  const path = file.startsWith('/') || file === '<stdin>' ? file : join(dir, file);
  if (second === undefined) return `error: ${path}: `;
  if (typeof second === 'number') return `error: ${path}:${second}:${third}: `;
  const content =
    file === '<stdin>'
      ? String(testCase.stdin)
      : (testCase.files?.[file] ?? (file === 'r.yaml' ? RELEASE : FLEET));
  const text = String(content);
  let offset = -1;
  for (let n = 0; n < (typeof third === 'number' ? third : 1); n++) offset = text.indexOf(second, offset + 1);
  assert.ok(offset >= 0, `${second} is not in ${file}`);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `error: ${path}:${line}:${col}: `;
}

describe('bad inputs: one line, exit 2, the position and what to do', () => {
  it(`covers at least 100 bad inputs (${cases.length})`, () => {
    assert.ok(cases.length >= 100, `only ${cases.length}`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  });

  it('the valid files pass every check of theirs (the run stops at the missing kubeconfig)', async () => {
    const dir = materialize({ name: 'valid', message: /./, at: ['regatta.yaml'] }, -1);
    const result = await runInProcess(PLAN.map((a) => a.replace('{dir}', dir)));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /regatta\.yaml:13:5: cluster dev-1: cannot read kubeconfig/);
    const old = materialize(
      { name: 'valid old', files: { 'old.yaml': OLD }, message: /./, at: ['old.yaml'] },
      -2,
    );
    const migrated = await runInProcess(MIGRATE.map((a) => a.replace('{dir}', old)));
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.deepEqual(readdirSync(join(old, 'out')), ['web.yaml']);
  });

  cases.forEach((testCase, index) => {
    it(testCase.name, async () => {
      const dir = materialize(testCase, index);
      const args = (testCase.args ?? PLAN).map((arg) => arg.replace('{dir}', dir));
      const result =
        testCase.stdin !== undefined ? runProcess(args, testCase.stdin) : await runInProcess(args);
      const stderr = result.stderr.replace(/\n$/, '');
      assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
      assert.equal(result.stdout, '', 'nothing on stdout');
      assert.ok(!stderr.includes('\n'), `one line, got:\n${result.stderr}`);
      assert.ok(
        stderr.startsWith(expectedPrefix(testCase, dir)),
        `position: expected ${expectedPrefix(testCase, dir)}…, got ${stderr}`,
      );
      const message = stderr.slice(expectedPrefix(testCase, dir).length);
      assert.match(message, testCase.message);
      assert.match(message, / \([^()]*(\([^()]*\)[^()]*)*\)$/, `ends with a hint in parentheses: ${stderr}`);
      for (const secret of testCase.never ?? [])
        assert.ok(!result.stderr.includes(secret), `${secret} printed`);
    });
  });
});

describe('migrate writes nothing unless everything converts', () => {
  it('a bad second file leaves the first unwritten', async () => {
    const dir = materialize(
      {
        name: 'two files',
        files: {
          'old.yaml': OLD,
          'old2.yaml': OLD.replace(/shop\.world/g, 'shop.mars').replace('replicas: 3', 'replicas: x'),
        },
        message: /./,
        at: ['old.yaml'],
      },
      -3,
    );
    const result = await runInProcess([
      'migrate',
      join(dir, 'old.yaml'),
      join(dir, 'old2.yaml'),
      '--out',
      join(dir, 'out'),
      '--fleet',
      join(dir, 'regatta.yaml'),
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(!existsSync(join(dir, 'out')), 'no file written');
  });

  it('an unreadable releases folder is one line (skipped as root, who reads everything)', async (t) => {
    if (process.getuid?.() === 0) return t.skip('root ignores permissions');
    const dir = materialize(
      { name: 'locked', files: { 'releases/locked/a.yaml': RELEASE }, message: /./, at: ['regatta.yaml'] },
      -4,
    );
    chmodSync(join(dir, 'releases', 'locked'), 0);
    try {
      const result = await runInProcess([
        'plan',
        '--fleet',
        join(dir, 'regatta.yaml'),
        join(dir, 'releases'),
      ]);
      assert.equal(result.code, 2);
      assert.match(result.stderr.trim(), /^error: .*releases: cannot list the folder \(permission denied\)/);
    } finally {
      chmodSync(join(dir, 'releases', 'locked'), 0o755);
    }
  });
});
