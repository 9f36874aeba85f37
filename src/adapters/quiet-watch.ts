/**
 * An abort signal for one program run: aborted when the caller's is, or when the program has been
 * silent (no output) for `limitMs` — `fired` then says it was the silence.
 */
export class QuietWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;
  private readonly forward = () => {
    clearTimeout(this.timer); // stopped by the caller: any silence after that is not the reason
    this.controller.abort();
  };

  constructor(
    readonly limitMs: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener('abort', this.forward, { once: true });
    this.heard();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The program wrote something: its clock starts again. */
  heard(): void {
    clearTimeout(this.timer);
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.limitMs);
  }

  /** The run is over: no more timer, no more listening. */
  stop(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.forward);
  }
}
