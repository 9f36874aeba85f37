import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Toxic } from '../../../src/adapters/toxiproxy.js';
import { UserError } from '../../../src/errors.js';
import {
  describeLink,
  desiredToxics,
  latencyToxics,
  parseFault,
  toxicChanges,
  withFault,
  type ActiveFaults,
} from '../../../src/sandbox/toxics.js';

const attribute = (toxics: Toxic[], name: string, key: string) =>
  toxics.find((toxic) => toxic.name === name)?.attributes[key] as number;

describe('latency toxics', () => {
  it('split the round trip and its jitter between requests (upstream) and responses (downstream)', () => {
    const toxics = latencyToxics({ rttMs: 15, jitterMs: 3 });
    assert.deepEqual(
      toxics.map((toxic) => [toxic.name, toxic.type, toxic.stream, toxic.toxicity]),
      [
        ['latency-upstream', 'latency', 'upstream', 1],
        ['latency-downstream', 'latency', 'downstream', 1],
      ],
    );
    assert.equal(attribute(toxics, 'latency-upstream', 'latency'), 7);
    assert.equal(attribute(toxics, 'latency-downstream', 'latency'), 8);
    assert.equal(attribute(toxics, 'latency-upstream', 'jitter'), 1);
    assert.equal(attribute(toxics, 'latency-downstream', 'jitter'), 2);
  });

  it('never let a round trip be shorter than rttMs − jitterMs, whatever the split', () => {
    for (const link of [
      { rttMs: 250, jitterMs: 10 },
      { rttMs: 5, jitterMs: 1 },
      { rttMs: 1, jitterMs: 1 },
      { rttMs: 111, jitterMs: 7 },
    ]) {
      const toxics = latencyToxics(link);
      const sum = (key: string) =>
        toxics.reduce((total, toxic) => total + (toxic.attributes[key] as number), 0);
      assert.equal(sum('latency'), link.rttMs);
      assert.equal(sum('jitter'), link.jitterMs);
      // Toxiproxy delays each chunk by latency ± jitter: each direction must stay non-negative.
      for (const toxic of toxics) {
        assert.ok((toxic.attributes.latency as number) >= (toxic.attributes.jitter as number), toxic.name);
      }
    }
  });

  it('are left out for a link without latency', () => {
    assert.deepEqual(latencyToxics({ rttMs: 0, jitterMs: 0 }), []);
  });
});

describe('faults', () => {
  const link = { rttMs: 110, jitterMs: 5 };
  const names = (faults: ActiveFaults) => desiredToxics(link, faults).map((toxic) => toxic.name);

  it('latency replaces the profile round trip while it is in force', () => {
    const toxics = desiredToxics(link, withFault({}, parseFault('latency', '2000', '100') as never));
    assert.equal(attribute(toxics, 'latency-upstream', 'latency'), 1000);
    assert.equal(attribute(toxics, 'latency-downstream', 'jitter'), 50);
  });

  it('timeout is a black hole both ways that never closes the connection (a state from before it took a value too)', () => {
    for (const timeout of [0, true] as const) {
      const toxics = desiredToxics(link, { timeout });
      for (const stream of ['upstream', 'downstream']) {
        const toxic = toxics.find((t) => t.name === `timeout-${stream}`);
        assert.deepEqual(
          [toxic?.type, toxic?.stream, toxic?.attributes],
          ['timeout', stream, { timeout: 0 }],
        );
      }
    }
  });

  it('timeout MS closes the swallowed connection that long after, as Toxiproxy does', () => {
    const faults = withFault({}, parseFault('timeout', '5000') as never);
    assert.equal(attribute(desiredToxics(link, faults), 'timeout-downstream', 'timeout'), 5000);
    assert.equal(describeLink(link, faults), '110±5 ms, timeout (black hole, closed after 5000 ms)');
  });

  it('reset resets a connection as soon as the client sends anything, or MS later', () => {
    const toxic = desiredToxics(link, { reset: 0 }).find((t) => t.name === 'reset-upstream');
    assert.deepEqual(
      [toxic?.type, toxic?.stream, toxic?.attributes],
      ['reset_peer', 'upstream', { timeout: 0 }],
    );
    const later = withFault({}, parseFault('reset', '250') as never);
    assert.equal(attribute(desiredToxics(link, later), 'reset-upstream', 'timeout'), 250);
    assert.equal(describeLink(link, later), '110±5 ms, reset after 250 ms');
  });

  it('bandwidth limits both directions; faults of different kinds add up, the profile latency stays', () => {
    const faults = withFault(withFault({}, { kind: 'bandwidth', kilobytesPerSecond: 64 }), {
      kind: 'timeout',
      afterMs: 0,
    });
    assert.deepEqual(names(faults), [
      'latency-upstream',
      'latency-downstream',
      'bandwidth-upstream',
      'bandwidth-downstream',
      'timeout-upstream',
      'timeout-downstream',
    ]);
    assert.equal(attribute(desiredToxics(link, faults), 'bandwidth-downstream', 'rate'), 64);
    assert.equal(describeLink(link, faults), '110±5 ms, 64 KB/s, timeout (black hole)');
  });

  it('a fault of the same kind replaces the previous one', () => {
    const faults = withFault(
      { bandwidthKilobytesPerSecond: 64 },
      { kind: 'bandwidth', kilobytesPerSecond: 8 },
    );
    assert.deepEqual(faults, { bandwidthKilobytesPerSecond: 8 });
  });

  it('timeout and reset replace each other; latency and bandwidth stay', () => {
    const slow = { latency: { rttMs: 2000, jitterMs: 0 }, bandwidthKilobytesPerSecond: 8 };
    const reset = withFault(withFault(slow, { kind: 'timeout', afterMs: 0 }), { kind: 'reset', afterMs: 0 });
    assert.deepEqual(reset, { ...slow, reset: 0 });
    assert.deepEqual(withFault(reset, { kind: 'timeout', afterMs: 0 }), { ...slow, timeout: 0 });
  });

  it('parses the command line, refusing what does not fit', () => {
    assert.deepEqual(parseFault('latency', '300'), { kind: 'latency', latency: { rttMs: 300, jitterMs: 0 } });
    assert.deepEqual(parseFault('bandwidth', '128'), { kind: 'bandwidth', kilobytesPerSecond: 128 });
    assert.deepEqual(parseFault('timeout'), { kind: 'timeout', afterMs: 0 });
    assert.deepEqual(parseFault('timeout', '5000'), { kind: 'timeout', afterMs: 5000 });
    assert.deepEqual(parseFault('reset', '0'), { kind: 'reset', afterMs: 0 });
    assert.equal(parseFault('clear'), 'clear');
    for (const [kind, value, jitter] of [
      ['latency', undefined, undefined],
      ['latency', '1.5', undefined],
      ['latency', '100', '101'],
      ['bandwidth', '10', '1'],
      ['timeout', '1.5', undefined],
      ['timeout', '-1', undefined],
      ['timeout', '3600001', undefined],
      ['reset', undefined, '3'],
      ['clear', '5', undefined],
      ['jam', undefined, undefined],
    ] as const) {
      assert.throws(() => parseFault(kind, value, jitter), UserError, `${kind} ${value} ${jitter}`);
    }
  });
});

describe('toxic changes', () => {
  const [up, down] = latencyToxics({ rttMs: 100, jitterMs: 10 }) as [Toxic, Toxic];

  it('keep toxics that are already right, replace changed ones, remove the rest', () => {
    const current: Toxic[] = [
      // As toxiproxy returns it: the same values, maybe more attributes.
      { ...up, attributes: { ...up.attributes } },
      { ...down, attributes: { latency: 1, jitter: 0 } },
      {
        name: 'timeout-upstream',
        type: 'timeout',
        stream: 'upstream',
        toxicity: 1,
        attributes: { timeout: 0 },
      },
    ];
    const changes = toxicChanges(current, [up, down]);
    assert.deepEqual(changes.remove, ['latency-downstream', 'timeout-upstream']);
    assert.deepEqual(changes.add, [down]);
  });

  it('change nothing when the proxy already carries exactly the desired toxics', () => {
    assert.deepEqual(toxicChanges([up, down], [up, down]), { remove: [], add: [] });
  });
});
