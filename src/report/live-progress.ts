import { createLogUpdate } from 'log-update';
import { renderLiveFrame } from './live-frame.js';
import { applyEvent, emptyLiveState } from './live-state.js';
import type { Progress } from './progress.js';
import { redact } from './redact.js';
import { paintFor } from './style.js';

export interface LiveProgressOptions {
  stream?: NodeJS.WriteStream;
  /**
   * The first Ctrl-C: the frame is cleared so the line saying what happens next stays readable,
   * and the matrix is drawn again under it as the rollback goes on.
   */
  interrupt?: AbortSignal;
}

/**
 * The live view on a terminal: the releases × clusters matrix redrawn in place (by log-update)
 * at every event and every second, free lines printed above it. `close` leaves the last frame.
 */
export function liveProgress(options: LiveProgressOptions = {}): Progress & { close(): void } {
  const stream = options.stream ?? process.stderr;
  const log = createLogUpdate(stream);
  const paint = paintFor(stream);
  let state = emptyLiveState();
  let drawn = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let height = 0;
  const draw = (hint = true) => {
    const frame = redact(renderLiveFrame(state, { now: new Date(), columns: stream.columns, paint, hint }));
    const lines = frame.split('\n').length;
    // log-update 7.2 patches only the lines that changed, and loses the last line when a line is
    // inserted above it (a release or a gate appears): a frame of another height is drawn whole.
    if (drawn && lines !== height) log.clear();
    drawn = true;
    height = lines;
    log(frame);
  };
  const onInterrupt = () => {
    if (drawn) log.clear();
  };
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const line = (text: string) => {
    if (!drawn || closed) return void stream.write(`${redact(text)}\n`);
    log.persist(redact(text));
    draw();
  };
  return {
    line,
    event(event) {
      if (event.type === 'log') return line(event.message);
      state = applyEvent(state, event);
      if (closed) return;
      // Clocks tick between events; unref: the view never keeps the process alive.
      timer ??= setInterval(() => draw(), 1000).unref();
      draw();
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      options.interrupt?.removeEventListener('abort', onInterrupt);
      if (drawn) {
        draw(false); // the last frame stays, without the Ctrl-C hint: nothing is left to stop
        log.done();
      }
    },
  };
}
