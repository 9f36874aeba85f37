import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { binarySpec } from '../../../src/sandbox/binaries.js';
import { resolveBinary } from '../../../src/sandbox/binary-store.js';

describe('binary store', () => {
  it('without Go and without an override, says in one line what to install or set', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'regatta-cache-'));
    try {
      const env = { PATH: '/nonexistent', REGATTA_CACHE_DIR: cache };
      await assert.rejects(
        resolveBinary(binarySpec('kwok'), env, () => undefined),
        (error: unknown) => {
          assert.ok(error instanceof UserError);
          assert.equal(error.message, 'kwok v0.8.0 is not built and Go is not installed');
          assert.match(error.hint ?? '', /install Go 1\.24 or newer, or set REGATTA_KWOK_BIN/);
          return true;
        },
      );
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('refuses an override that is not an executable file', async () => {
    const env = { PATH: '/nonexistent', REGATTA_ETCD_BIN: '/nonexistent/etcd' };
    await assert.rejects(
      resolveBinary(binarySpec('etcd'), env, () => undefined),
      /REGATTA_ETCD_BIN=\/nonexistent\/etcd is not an executable file/,
    );
  });

  it('uses an override that exists without looking anywhere else', async () => {
    const resolved = await resolveBinary(
      binarySpec('etcd'),
      { PATH: '', REGATTA_ETCD_BIN: process.execPath },
      () => undefined,
    );
    assert.deepEqual(resolved, { name: 'etcd', path: process.execPath, origin: 'override' });
  });
});
