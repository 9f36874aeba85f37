import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { assertReplaceable, SANDBOX_MARKER } from '../../../src/sandbox/sandbox.js';

describe('sandbox up --dir never replaces what it did not create', () => {
  const base = mkdtempSync(join(tmpdir(), 'regatta-replaceable-'));

  it('accepts a folder that does not exist, an empty one, and one of ours', () => {
    assertReplaceable(join(base, 'absent'));
    mkdirSync(join(base, 'empty'));
    assertReplaceable(join(base, 'empty'));
    mkdirSync(join(base, 'ours'));
    writeFileSync(join(base, 'ours', SANDBOX_MARKER), '');
    writeFileSync(join(base, 'ours', 'etcd'), '');
    assertReplaceable(join(base, 'ours'));
  });

  it('refuses a folder with anything else in it, and leaves it as it was', () => {
    mkdirSync(join(base, 'home'));
    writeFileSync(join(base, 'home', 'thesis.tex'), 'years of work');
    assert.throws(
      () => assertReplaceable(join(base, 'home')),
      (error: unknown) => error instanceof UserError && /holds no Regatta sandbox/.test(error.message),
    );
    assert.deepEqual(readdirSync(join(base, 'home')), ['thesis.tex']);
  });
});
