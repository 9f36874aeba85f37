import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBoundedPerGroup } from '../../src/concurrency.js';

describe('bounded scatter per group', () => {
  it('runs at most `limit` of a group at once, groups side by side, results in order', async () => {
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    let overall = 0;
    let mostOverall = 0;
    const items = Array.from({ length: 20 }, (_, i) => ({ group: i % 2 === 0 ? 'a' : 'b', i }));
    const results = await mapBoundedPerGroup(
      items,
      (item) => item.group,
      3,
      async (item) => {
        running.set(item.group, (running.get(item.group) ?? 0) + 1);
        overall++;
        most.set(item.group, Math.max(most.get(item.group) ?? 0, running.get(item.group)!));
        mostOverall = Math.max(mostOverall, overall);
        await new Promise((resolve) => setImmediate(resolve));
        running.set(item.group, running.get(item.group)! - 1);
        overall--;
        return item.i * 10;
      },
    );
    assert.deepEqual(
      results,
      items.map((item) => item.i * 10),
    );
    assert.equal(most.get('a'), 3);
    assert.equal(most.get('b'), 3);
    assert.equal(mostOverall, 6);
  });

  it('refuses a limit below 1', () => {
    assert.throws(
      () =>
        mapBoundedPerGroup(
          [1],
          () => 'a',
          0,
          async () => 1,
        ),
      /positive integer/,
    );
  });
});
