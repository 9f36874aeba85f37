import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { composeValues, configDigest, encodeValues, goFloat } from '../../../src/gitops/config-digest.js';
import { secretValuesContent } from '../../../src/gitops/objects.js';
import type { Values } from '../../../src/values/layer.js';

/*
 * The vectors below were produced by a throwaway Go program (not in this repository) built
 * against the modules helm-controller v1.4.0 builds with (fluxcd/pkg/chartutil v1.14.0,
 * helm v3.19.0, sigs.k8s.io/yaml v1.6.0, go.yaml.in/yaml/v2 v2.4.2): for each case it decoded
 * `inline` from JSON with sigs.k8s.io/yaml as HelmRelease.GetValues does, read
 * `secretValuesContent(secrets)` with Helm's chartutil.ReadValues, merged them as
 * ChartValuesFromReferences does (MergeMaps: the Secret first, spec.values over it) and printed
 * chartutil.DigestValues(digest.Canonical, values) — the history snapshot's configDigest.
 */
const long =
  'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua';
const cases: { name: string; inline: Values; secrets?: Record<string, string>; digest: string }[] = [
  {
    name: 'nested maps, lists, scalars',
    inline: {
      replicaCount: 3,
      image: { repository: 'nginx', tag: '1.25.3', pullPolicy: 'IfNotPresent' },
      resources: { limits: { cpu: '500m', memory: '128Mi' } },
      enabled: true,
      disabled: false,
      nothing: null,
      ports: [80, 443],
      hosts: [
        { host: 'a.example.com', paths: ['/', '/api'] },
        { host: 'b.example.com', paths: [] },
      ],
      matrix: [[1, 2], [3, [4, 5]], []],
      emptyMap: {},
      global: { cloud: 'aws', env: 'prod', region: 'eu-west-1', clusterName: 'prod-1' },
    },
    digest: 'sha256:8c2a9e4959a81a95e5dce23e9c7fc1a7ea51f4580e94c7998756912a364d080c',
  },
  {
    name: 'numbers',
    inline: {
      int: 42,
      negative: -7,
      zero: 0,
      negZero: -0,
      float: 0.1,
      half: 1.5,
      third: 1 / 3,
      big: 1e21,
      bigger: 1.5e300,
      tiny: 1e-7,
      small: 0.0001,
      smaller: 0.00001,
      million: 1234567.5,
      hundredk: 123456.5,
      whole: 1e6,
      safe: 2 ** 53 + 2,
      i63: 2 ** 63,
      u64: 1e19,
      over: 1e20,
      negBig: -1e19,
      min63: -(2 ** 63),
      pi: Math.PI,
      list: [1.25, -0.5, 100],
    },
    digest: 'sha256:49c21c4d4b7a3f02f816714e5d22565a4d102987820722b50d4a7519124d9323',
  },
  {
    name: 'strings needing quotes',
    inline: {
      yes: 'yes',
      No: 'No',
      on: 'on',
      tilde: '~',
      empty: '',
      null: 'null',
      trueS: 'true',
      int: '42',
      octal: '0777',
      under: '1_000',
      hex: '0x1F',
      bin: '0b101',
      float: '1.5',
      exp: '1e3',
      dot: '.5',
      dotInf: '.inf',
      date: '2024-01-02',
      ts: '2024-1-2T10:00:00Z',
      tsSpace: '2024-01-02 10:00:00.123',
      badDate: '2024-02-30',
      base60: '12:30',
      time: '1:20:30',
      colon: 'a: b',
      colonEnd: 'a:',
      hash: 'a #b',
      hashStart: '#x',
      dash: '- x',
      dashOnly: '-',
      star: '*x',
      amp: '&x',
      quote: "it's",
      dquote: 'say "hi"',
      backslash: 'a\\b',
      brace: '{x}',
      bracket: '[x]',
      comma: 'a,b',
      q: '?x',
      pct: '%x',
      at: '@x',
      bt: '`x',
      bang: '!x',
      pipe: '|x',
      gt: '>x',
      leading: ' lead',
      trailing: 'trail ',
      tab: 'a\tb',
      dashes: '---x',
      dots: '...',
      url: 'http://x.example.com:8080/a?b=c#d',
      sign: '+1',
      minus: '-1.5',
      inf: 'inf',
      nan: 'NaN',
      big: '123456789012345678901234567890',
      hexBig: '0x1ffffffffffffffffff',
      y: 'y',
      n: 'N',
      off: 'OFF',
      merge: '<<',
    },
    digest: 'sha256:083fdc5528f6f29bdfc2484996343164d53fc0c5ffab5e1fb5476a6d919f2a0f',
  },
  {
    name: 'multi-line, long and unicode strings',
    inline: {
      multi: 'line one\nline two\n',
      noEnd: 'a\nb',
      keep: 'a\n\n',
      lead: '\nx',
      leadSpace: '  indented\nnext',
      trailSpace: 'a \nb',
      crlf: 'a\r\nb',
      long,
      longer: `${long} ${long}`,
      longQuoted: `'${long}' and then some more words to wrap`,
      longNoSpace: 'x'.repeat(120),
      unicode: 'héllo wörld — ünïcödé',
      cjk: '日本語のテキスト',
      emoji: 'ship 🚢 it',
      nbsp: 'a\u00a0b',
      ls: 'a\u2028b',
      bom: '\ufeffabc',
      ctrl: 'bell\u0007',
      longUnicode: 'ü'.repeat(50) + ' ' + 'ö'.repeat(50) + ' end',
    },
    digest: 'sha256:bd09a5ff9824b4edaa9512fe085fbbada7297da9ef4552d15dba7f73c388f391',
  },
  {
    name: 'awkward keys',
    inline: {
      'a: b': 1,
      '': 'empty key',
      yes: 'k',
      '1': 'numeric key',
      ünï: 2,
      Z: 1,
      a: 2,
      B: 3,
      _x: 4,
      'multi\nline': 5,
      ['k'.repeat(129)]: 'long key',
      ['k'.repeat(128)]: 'limit key',
      '\ue000': 'pua',
      '😀': 'astral',
      nested: { list: [{ b: 1, a: 2 }, [{ d: 1, c: 2 }]] },
    },
    digest: 'sha256:897962ee76bab63ba9447a88bafc6d1fd7b6fd29e73f4bfe35c8f75310d01f65',
  },
  {
    name: 'empty values',
    inline: {},
    digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  {
    name: 'secrets only',
    inline: {},
    secrets: { db_password: 'hunter2', 'api-key': 'yes' },
    digest: 'sha256:dcc9776b0f47acd1d2aefaa3dacb694ab90153b114b513f738407f0227271666',
  },
  {
    name: 'values and a secret layer',
    inline: { replicaCount: 2, secrets: { plain: 'not a secret' }, config: { mode: 'fast' } },
    secrets: { db_password: 's3cr3t: "quoted" \\ 🚢\n  second line', token: '1_000', on: 'on' },
    digest: 'sha256:663f95eb56ec0d2132f3853b0c342e171b9038d27c5c8c46969f3b80aa99fd3a',
  },
  {
    name: 'inline overrides the secret layer',
    inline: { secrets: { token: 'inline wins' }, other: [1] },
    secrets: { token: 'from secret', keep: 'kept' },
    digest: 'sha256:a008f765f35607786e1b54dd2a97c807d9c2775316bcfa04776b90fd43ca1cea',
  },
];

describe('config digest (helm-controller v1.4.0 configDigest)', () => {
  for (const { name, inline, secrets, digest } of cases)
    it(`matches helm-controller: ${name}`, () => {
      assert.equal(configDigest(inline, secrets ? [{ secrets }] : []), digest);
    });

  it('merges as MergeMaps: valuesFrom first, spec.values over it, maps key by key', () => {
    assert.deepEqual(
      composeValues({ a: { x: 1 }, l: [1] }, [{ a: { y: 2, x: 0 }, l: [2, 3], s: 's' }, { s: 't' }]),
      { a: { y: 2, x: 1 }, l: [1], s: 't' },
    );
  });

  it('encodes as go-yaml v2: sorted keys, folded at 80 columns, YAML 1.1 look-alikes quoted', () => {
    const text = encodeValues({
      b: 'yes',
      a: { list: [{ y: 1, x: 'a: b' }], empty: {}, none: [] },
      c: `${'word '.repeat(17)}end`,
      d: 'two\nlines',
    }).toString();
    assert.equal(
      text,
      'a:\n  empty: {}\n  list:\n  - x: \'a: b\'\n    "y": 1\n  none: []\nb: "yes"\n' +
        `c: ${'word '.repeat(15)}word\n  word end\nd: |-\n  two\n  lines\n`,
    );
  });

  it("writes floats as Go's strconv.FormatFloat(f, 'g', -1, 64)", () => {
    assert.deepEqual([0.1, 1e21, 1234567.5, 123456.5, 1e-5, 0.0001, -2.5e-300].map(goFloat), [
      '0.1',
      '1e+21',
      '1.2345675e+06',
      '123456.5',
      '1e-05',
      '0.0001',
      '-2.5e-300',
    ]);
  });
});

describe('valuesFrom Secret content', () => {
  it('reads back as the same strings in YAML 1.1, as helm-controller reads it', () => {
    const secrets = {
      on: 'yes',
      token: '1_000',
      octal: '0777',
      date: '2024-01-02',
      text: 'a: "b" \\ \u2028 \u0085 🚢\n',
    };
    assert.deepEqual(parse(secretValuesContent(secrets), { version: '1.1' }), { secrets });
  });
});
