import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from '../../../src/adapters/process.js';
import { QuietWatch } from '../../../src/adapters/quiet-watch.js';

// A program that finishes its work on SIGTERM, as helm does (it records the revision as failed):
// here it never finishes, as over a dead connection.
const IGNORES_SIGTERM = ['-c', 'trap "" TERM; echo ready; sleep 30'];

describe('stopping a program that does not stop', () => {
  it('an aborted run that ignores SIGTERM is killed killAfterMs later', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const ran = run('sh', IGNORES_SIGTERM, {
      signal: controller.signal,
      killAfterMs: 300,
      ownProcessGroup: true,
      onStdout: () => controller.abort(),
    });
    const error = (await ran.catch((e: unknown) => e)) as { result?: { signal: string | null } };
    const took = performance.now() - started;
    assert.equal(error.result?.signal, 'SIGKILL');
    assert.ok(took < 10_000, `${took} ms: not the program's own 30 s`);
  });

  it('without killAfterMs the abort is SIGTERM alone (a program that handles it finishes)', async () => {
    const controller = new AbortController();
    const ran = run('sh', ['-c', "trap 'kill $!; echo stopping; exit 7' TERM; echo ready; sleep 30 & wait"], {
      signal: controller.signal,
      onStdout: (chunk) => {
        if (chunk.includes('ready')) controller.abort();
      },
    });
    const error = (await ran.catch((e: unknown) => e)) as {
      result?: { exitCode: number | null; stdout: string };
    };
    assert.equal(error.result?.exitCode, 7);
    assert.match(error.result?.stdout ?? '', /stopping/);
  });

  it('a program that exits on SIGTERM while a process it started keeps its output open: that process is killed killAfterMs later', async () => {
    const controller = new AbortController();
    const started = performance.now();
    // The shell exits at once; its `sleep` (as a credential plugin stuck on a dead link would)
    // holds stderr open, and the run ends only when it closes.
    const ran = run('sh', ['-c', 'trap "exit 1" TERM; sleep 30 & echo ready; wait'], {
      signal: controller.signal,
      killAfterMs: 300,
      ownProcessGroup: true,
      onStdout: () => controller.abort(),
    });
    const error = (await ran.catch((e: unknown) => e)) as { result?: { exitCode: number | null } };
    const took = performance.now() - started;
    assert.equal(error.result?.exitCode, 1, 'the shell itself exited on SIGTERM');
    assert.ok(took < 10_000, `${took} ms: not the sleep's own 30 s`);
  });

  it('a quiet watch fires after the silence, each output starting its clock again, and says it was the silence', async () => {
    const watch = new QuietWatch(200);
    const heardFor = setInterval(() => watch.heard(), 50);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(watch.signal.aborted, false, 'output every 50 ms keeps it quiet');
    clearInterval(heardFor);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(watch.signal.aborted, true);
    assert.equal(watch.fired, true);
    watch.stop();
  });

  it("a quiet watch follows the caller's abort, which is not the silence; stopped, it never fires", async () => {
    const outer = new AbortController();
    const watch = new QuietWatch(100, outer.signal);
    outer.abort();
    assert.equal(watch.signal.aborted, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(watch.fired, false, 'silence after the abort is not why it stopped');
    watch.stop();
    const stopped = new QuietWatch(50);
    stopped.stop();
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(stopped.signal.aborted, false);
  });
});
