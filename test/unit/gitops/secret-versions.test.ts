import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretValuesName } from '../../../src/gitops/objects.js';
import { chooseSecretName, secretOfFile, unneededSecrets } from '../../../src/gitops/secret-versions.js';
import type { Release } from '../../../src/model/release.js';

describe('versioned valuesFrom Secrets', () => {
  it('keeps the Secret the branch references while it holds the same values', () => {
    assert.deepEqual(
      chooseSecretName({ name: 'regatta-web-secrets-a', content: 'x' }, 'x', 'regatta-web-secrets-b'),
      {
        name: 'regatta-web-secrets-a',
        create: false,
      },
    );
  });

  it('creates a new one when the values changed, the Secret is gone, or nothing was referenced', () => {
    const fresh = 'regatta-web-secrets-b';
    assert.deepEqual(chooseSecretName({ name: 'regatta-web-secrets-a', content: 'x' }, 'y', fresh), {
      name: fresh,
      create: true,
    });
    assert.deepEqual(chooseSecretName({ name: 'regatta-web-secrets-a', content: undefined }, 'y', fresh), {
      name: fresh,
      create: true,
    });
    assert.deepEqual(chooseSecretName(undefined, 'y', fresh), { name: fresh, create: true });
  });

  it('names a version after the deploy id, as a valid object name', () => {
    const release = { name: 'web' } as Release;
    assert.equal(secretValuesName(release), 'regatta-web-secrets');
    assert.equal(
      secretValuesName(release, '20261125T091309Z-ab12-gd4d3ea91'),
      'regatta-web-secrets-20261125t091309z-ab12-gd4d3ea91',
    );
  });

  it('reads the Secret a rendered HelmRelease file references (none: no file, or no valuesFrom)', () => {
    const file = [
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata: { name: web, namespace: apps }',
      'spec:',
      '  valuesFrom:',
      '    - { kind: ConfigMap, name: shared }',
      '    - { kind: Secret, name: regatta-web-secrets-x, valuesKey: values.yaml }',
    ].join('\n');
    assert.equal(secretOfFile(file), 'regatta-web-secrets-x');
    assert.equal(secretOfFile('kind: HelmRelease\nspec: { values: {} }\n'), undefined);
    assert.equal(secretOfFile(undefined), undefined);
  });
});

describe('removing the valuesFrom Secrets no revision needs', () => {
  const release = { name: 'web' } as Release;
  const version = (id: string) => secretValuesName(release, id);
  const [d1, d2, d3, d4] = [
    '20261120T100000Z-aaaa',
    '20261121T100000Z-bbbb',
    '20261122T100000Z-cccc',
    '20261125T100000Z-dddd',
  ];

  const STARTED = Date.parse('2026-11-25T10:00:00Z');
  const ANCIENT = '2026-11-20T10:00:00Z';
  const created = (at: string) => (name: string) => ({ name, createdAt: at });

  it('removes those only revisions older than the kept ones reference', () => {
    assert.deepEqual(
      unneededSecrets({
        release,
        live: [version(d1), version(d2), version(d3)].map(created(ANCIENT)),
        // newest first: the last 3 revisions read d3, d3, d2; d1 only an older one
        referenced: [version(d3), version(d3), version(d2), version(d1)],
        deployId: d4,
        startedAt: STARTED,
        keep: 3,
      }),
      [version(d1)],
    );
  });

  it('keeps one a kept revision references, even as its only reader', () => {
    assert.deepEqual(
      unneededSecrets({
        release,
        live: [version(d1), version(d2)].map(created(ANCIENT)),
        referenced: [version(d2), undefined, version(d1)],
        deployId: d4,
        startedAt: STARTED,
        keep: 3,
      }),
      [],
    );
  });

  it('keeps those of deploys started at or after this one (in flight elsewhere, not pushed yet)', () => {
    const later = '20261126T100000Z-eeee';
    assert.deepEqual(
      unneededSecrets({
        release,
        live: [version(later), version(d4), version(d1)].map(created(ANCIENT)),
        referenced: [version(d3)],
        deployId: d4,
        startedAt: STARTED,
        keep: 5,
      }),
      [version(d1)],
    );
  });

  it('never removes one that is not versioned: bootstrap’s, which rendered files read, or a hand-made one', () => {
    assert.deepEqual(
      unneededSecrets({
        release,
        live: [
          secretValuesName(release),
          'regatta-web-secrets-by-hand',
          secretValuesName({ name: 'web-api' } as Release, d1),
        ].map(created(ANCIENT)),
        referenced: [version(d3)],
        deployId: d4,
        startedAt: STARTED,
        keep: 5,
      }),
      [],
    );
  });

  it('keeps one created since this deploy began (another deploy’s, not pushed yet), whatever its name says', () => {
    assert.deepEqual(
      unneededSecrets({
        release,
        live: [
          ...[version(d1)].map(created('2026-11-25T10:00:30Z')),
          ...[version(d2)].map(created('2026-11-25T09:59:30Z')),
          { name: version(d3) },
          ...[version(d4)].map(created(ANCIENT)),
        ],
        referenced: [version(d4)],
        deployId: d4,
        startedAt: STARTED,
        keep: 5,
      }),
      [],
      'within a minute of the start, or no creation time: kept',
    );
  });
});
