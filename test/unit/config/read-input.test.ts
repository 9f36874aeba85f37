import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { decodeUtf8, firstInvalidUtf8, readStandardInput } from '../../../src/config/read-input.js';
import { UserError } from '../../../src/errors.js';

describe('reading inputs', () => {
  it('finds the first byte that is not UTF-8', () => {
    assert.equal(firstInvalidUtf8(Buffer.from('plain ascii, é, 日本, 😀')), -1);
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xff])), 1, 'never a UTF-8 byte');
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc3])), 1, 'truncated sequence');
    assert.equal(firstInvalidUtf8(Buffer.from([0xc0, 0xaf])), 0, 'overlong /');
    assert.equal(firstInvalidUtf8(Buffer.from([0xe0, 0x80, 0xaf])), 0, 'overlong, three bytes');
    assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'a UTF-16 surrogate');
    assert.equal(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0, 'beyond U+10FFFF');
    assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x80])), 1, 'a lone continuation byte');
  });

  it('reports invalid UTF-8 at its line and column (in characters), and drops a BOM', () => {
    assert.throws(
      () => decodeUtf8(Buffer.concat([Buffer.from('a: 1\nb: é'), Buffer.from([0xfe])]), 'f.yaml'),
      (error: unknown) =>
        error instanceof UserError &&
        error.position?.line === 2 &&
        error.position.col === 5 &&
        /byte 0xfe/.test(error.message),
    );
    assert.equal(decodeUtf8(Buffer.from('\uFEFFa: 1\n'), 'f.yaml'), 'a: 1\n');
  });

  it('stops reading standard input past its limit', async () => {
    const endless = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(64 * 1024);
      })(),
    );
    await assert.rejects(readStandardInput(endless, 1024 * 1024), (error: unknown) => {
      return error instanceof UserError && /standard input is larger than 1 MiB/.test(error.message);
    });
    assert.equal(await readStandardInput(Readable.from([Buffer.from('kind: Pod\n')])), 'kind: Pod\n');
  });
});
