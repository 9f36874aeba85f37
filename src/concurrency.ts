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

/** The default number of releases × clusters deployed at once: bounded, never "everything". */
export const DEFAULT_CONCURRENCY = 10;
