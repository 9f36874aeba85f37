import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Secret } from '@kubernetes/client-node';
import { newestRecord } from '../../../src/adapters/helm-storage.js';

const record = (version?: string): V1Secret => ({
  metadata: {
    name: `sh.helm.release.v1.web.v${version}`,
    labels: { owner: 'helm', name: 'web', ...(version === undefined ? {} : { version }) },
  },
  type: 'helm.sh/release.v1',
  data: { release: 'opaque' },
});

describe("the newest of a release's records, without decoding them", () => {
  it('is the highest version label, as a number (10 after 9)', () => {
    const newest = newestRecord([record('9'), record('10'), record('2')]);
    assert.equal(newest !== 'unknown' && newest?.metadata?.labels?.version, '10');
  });

  it('is none for no records', () => {
    assert.equal(newestRecord([]), undefined);
  });

  it('cannot be told when a record lacks the label or holds no number', () => {
    assert.equal(newestRecord([record('3'), record()]), 'unknown');
    assert.equal(newestRecord([record('x')]), 'unknown');
  });
});
