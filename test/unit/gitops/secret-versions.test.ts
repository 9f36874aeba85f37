import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretValuesName } from '../../../src/gitops/objects.js';
import { chooseSecretName } from '../../../src/gitops/secret-versions.js';
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
});
