import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';

/** Network and server errors that a second try may not meet: never errors a user caused. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);
const TRANSIENT_TEXT =
  /connection refused|connection reset|broken pipe|i\/o timeout|TLS handshake timeout|unexpected EOF|http2: client connection lost|the server is currently unable to handle the request|Too Many Requests|etcdserver: (request timed out|leader changed)|socket hang up|no answer within|The operation was aborted/i;

export function isTransient(error: unknown): boolean {
  if (error instanceof k8s.ApiException)
    return error.code === 429 || (error.code >= 500 && error.code <= 504);
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, message, stderr } = current as { code?: unknown; message?: unknown; stderr?: unknown };
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (typeof message === 'string' && TRANSIENT_TEXT.test(message)) return true;
    if (typeof stderr === 'string' && TRANSIENT_TEXT.test(stderr)) return true;
    if ((current as Error).name === 'AbortError' || (current as Error).name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A request that got no answer at all in its time (our timeout aborted it, or a TLS handshake or
 * read timed out), or a helm stopped for saying nothing for longer than its own timeouts: what a
 * black-holed API server does, unlike one that refuses or resets.
 */
export function isNoAnswer(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { name, message, stderr } = current as { name?: unknown; message?: unknown; stderr?: unknown };
    if (name === 'AbortError' || name === 'TimeoutError') return true;
    for (const text of [message, stderr])
      if (typeof text === 'string' && NO_ANSWER_TEXT.test(text)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
/** How the helm adapter says it stopped a helm that wrote nothing for too long (a no-answer). */
export const SILENT_HELM_TEXT = 'helm wrote nothing for';
// Not "does not answer": restore.ts's reach says it of a cluster that refused every try too, and
// the silence, if any, is in its cause.
const NO_ANSWER_TEXT = new RegExp(
  `no answer within|TLS handshake timeout|i/o timeout|The user aborted a request|${SILENT_HELM_TEXT}`,
  'i',
);

export interface RetryOptions {
  /** Tries in all (the first included). */
  attempts?: number;
  /** Wait before the second try; doubled each time. */
  firstDelayMs?: number;
  /**
   * No new try starts once this long (ms) has passed since the first one began (default 60 s).
   * A black-holed API server costs a whole request timeout per try: without a budget, five tries
   * of 30 s each kept a deploy two and a half minutes on a cluster that had stopped answering.
   * Quick failures (refused, reset, 5xx) still get every try.
   */
  budgetMs?: number;
  /** A transient error still not worth another try (a request that got no answer at all). */
  giveUpOn?: (error: unknown) => boolean;
  /** Called before each new try (progress). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Runs `fn` again after a transient error (connection reset, 5xx, 429…), with exponential
 * backoff, a bounded number of times within a time budget; any other error is thrown at once.
 */
export async function retryTransient<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const budgetMs = options.budgetMs ?? 60_000;
  const started = Date.now();
  let delay = options.firstDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const overBudget = Date.now() - started + delay > budgetMs;
      if (attempt >= attempts || overBudget || !isTransient(error) || options.signal?.aborted) throw error;
      if (options.giveUpOn?.(error)) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
      delay *= 2;
    }
  }
}
