/** Where in a user's file something went wrong (1-based line and column). */
export interface SourcePosition {
  file: string;
  line?: number;
  col?: number;
}

export interface ErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  position?: SourcePosition;
  /** Extra lines shown under the message, e.g. the tail of a log. Never secret values. */
  details?: string;
  cause?: unknown;
}

/** An error whose message is meant for the user: rendered without a stack trace. */
export abstract class RegattaError extends Error {
  abstract readonly exitCode: number;
  readonly hint: string | undefined;
  readonly position: SourcePosition | undefined;
  readonly details: string | undefined;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.position = options.position;
    this.details = options.details;
  }
}

/** Bad input or a missing prerequisite: exit code 2, and nothing was changed. */
export class UserError extends RegattaError {
  readonly exitCode = 2;
}

/** Something outside Regatta failed (a deploy that was rolled back, a component that did not start): exit 1. */
export class DeployError extends RegattaError {
  readonly exitCode = 1;
}

/** A rollback itself failed: some cluster needs a human. Exit code 3. */
export class RollbackError extends RegattaError {
  readonly exitCode = 3;
}

/** Stopped by Ctrl-C / SIGTERM after winding down (what it changed was put back): exit 130. */
export class InterruptedError extends RegattaError {
  readonly exitCode = 130;
}
