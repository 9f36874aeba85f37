/**
 * Ctrl-C and SIGTERM, as the commands that change clusters see them. The first signal aborts
 * `signal` when a command has said it can wind down (`guard`): it stops new work and brings what
 * it changed back to last good. Otherwise, or on a second signal, the process stops at once,
 * after `describe` says where each cluster was left.
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private guards = 0;
  private describe: (() => string) | undefined;
  received: NodeJS.Signals | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A command can wind down from here on; returns the function that ends that. */
  guard(describe: () => string): () => void {
    this.guards++;
    this.describe = describe;
    return () => {
      this.guards--;
      if (this.guards === 0) this.describe = undefined;
    };
  }

  /** Called by main for each signal: true if the command winds down, false to stop at once. */
  receive(signal: NodeJS.Signals): boolean {
    if (this.guards > 0 && !this.controller.signal.aborted) {
      this.received = signal;
      this.controller.abort(new Error(`interrupted by ${signal}`));
      return true;
    }
    return false;
  }

  /** Where things stand, for a stop at once (empty when no command registered anything). */
  state(): string {
    return this.describe?.() ?? '';
  }
}
