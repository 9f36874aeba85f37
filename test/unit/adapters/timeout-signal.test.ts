import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { timeoutSignal } from '../../../src/adapters/timeout-signal.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('a request timeout', () => {
  it('still aborts after a garbage collection, combined with a long-lived signal as every API request is', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const combined = AbortSignal.any([timeoutSignal(300), stop.signal]);
    const aborted = new Promise<number>((resolve) =>
      combined.addEventListener('abort', () => resolve(Date.now() - started)),
    );
    setTimeout(gc, 50);
    const within = await Promise.race([
      aborted,
      new Promise<string>((r) => setTimeout(() => r('never'), 2000)),
    ]);
    assert.equal(typeof within, 'number', 'the timeout never fired');
    assert.ok((within as number) >= 290, `${within} ms`);
    assert.equal((combined.reason as DOMException).name, 'TimeoutError');
  });
});
