import pLimit from 'p-limit';

/**
 * The one bounded scatter/gather of the code base: `fn` over every item, at most `limit` at a
 * time, results in the items' order. A limit below 1 is a programming error (flags are checked
 * before any work starts).
 */
export function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`concurrency must be a positive integer, got ${limit}`);
  const run = pLimit(limit);
  return Promise.all(items.map((item, index) => run(() => fn(item, index))));
}

/**
 * `fn` over every item, at most `limit` at a time among the items of the same group (e.g. the
 * same cluster: what one API server is asked at once), groups side by side; results in the
 * items' order.
 */
export function mapBoundedPerGroup<T, R>(
  items: readonly T[],
  groupOf: (item: T) => string,
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limits = new Map<string, <U>(fn: () => Promise<U>) => Promise<U>>();
  return Promise.all(
    items.map((item, index) => {
      const group = groupOf(item);
      let run = limits.get(group);
      if (!run) limits.set(group, (run = limiter(limit)));
      return run(() => fn(item, index));
    }),
  );
}

/** A limit shared by several scatters (e.g. every wave of a deploy): at most `limit` at once. */
export function limiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`concurrency must be a positive integer, got ${limit}`);
  const run = pLimit(limit);
  return (fn) => run(fn);
}

/** The default number of releases × clusters deployed at once: bounded, never "everything". */
export const DEFAULT_CONCURRENCY = 10;
