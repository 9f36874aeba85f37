import type { Toxic } from '../adapters/toxiproxy.js';
import { UserError } from '../errors.js';
import { MAX_RTT_MS, type LinkLatency } from './latency.js';

/**
 * What `sandbox fault` can do to one cluster's link; each kind replaces its previous setting, and
 * timeout and reset replace each other (a connection is either swallowed or reset, not both).
 * `afterMs`, as Toxiproxy's own toxics take it: timeout closes a connection that long after it
 * began swallowing it (0: never, a black hole); reset resets it that long after the client sent
 * something (0: at once).
 */
export type Fault =
  | { kind: 'latency'; latency: LinkLatency }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'reset'; afterMs: number }
  | { kind: 'bandwidth'; kilobytesPerSecond: number };

export const FAULT_KINDS = ['latency', 'timeout', 'reset', 'bandwidth', 'clear'] as const;

/** The faults in force on one link (recorded in state.json, cleared by `fault CLUSTER clear`). */
export interface ActiveFaults {
  /** Replaces the profile's round trip while set. */
  latency?: LinkLatency;
  /**
   * A black hole: bytes go in, nothing comes out; the connection is closed this many ms later
   * (0: never). `true`: a state written before it took a value (never).
   */
  timeout?: number | true;
  /** Connections are reset (RST) this many ms after the client sends anything (0: at once). */
  reset?: number | true;
  bandwidthKilobytesPerSecond?: number;
}

export function withFault(faults: ActiveFaults, fault: Fault): ActiveFaults {
  switch (fault.kind) {
    case 'latency':
      return { ...faults, latency: fault.latency };
    case 'timeout': {
      const next: ActiveFaults = { ...faults, timeout: fault.afterMs };
      delete next.reset;
      return next;
    }
    case 'reset': {
      const next: ActiveFaults = { ...faults, reset: fault.afterMs };
      delete next.timeout;
      return next;
    }
    case 'bandwidth':
      return { ...faults, bandwidthKilobytesPerSecond: fault.kilobytesPerSecond };
  }
}

/** The longest a timeout or reset may be put off: an hour. */
const MAX_FAULT_DELAY_MS = 3_600_000;

function afterMs(value: number | true): number {
  return value === true ? 0 : value;
}

function wholeNumber(what: string, value: string | undefined, max: number, example: string): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > max) {
    throw new UserError(`${what} must be a whole number from 0 to ${max}, got ${value ?? 'nothing'}`, {
      hint: `e.g. \`regatta sandbox fault prod-asia-east1 ${example}\``,
    });
  }
  return Number(value);
}

/** `fault CLUSTER KIND [VALUE] [--jitter MS]` as typed data; 'clear' removes every fault. */
export function parseFault(kind: string, value?: string, jitter?: string): Fault | 'clear' {
  const noValue = (name: string) => {
    if (value !== undefined || jitter !== undefined) {
      throw new UserError(`fault ${name} takes no value and no --jitter`);
    }
  };
  switch (kind) {
    case 'latency': {
      const rttMs = wholeNumber('the round trip (ms)', value, MAX_RTT_MS, 'latency 2000 --jitter 100');
      const jitterMs =
        jitter === undefined ? 0 : wholeNumber('--jitter', jitter, rttMs, 'latency 2000 --jitter 100');
      return { kind: 'latency', latency: { rttMs, jitterMs } };
    }
    case 'bandwidth':
      if (jitter !== undefined) throw new UserError('--jitter goes with latency, not bandwidth');
      return {
        kind: 'bandwidth',
        kilobytesPerSecond: wholeNumber('the bandwidth (KB/s)', value, 10_000_000, 'bandwidth 64'),
      };
    case 'timeout':
    case 'reset':
      if (jitter !== undefined) throw new UserError(`--jitter goes with latency, not ${kind}`);
      return {
        kind,
        afterMs:
          value === undefined
            ? 0
            : wholeNumber(`the ${kind} (ms)`, value, MAX_FAULT_DELAY_MS, `${kind} 5000`),
      };
    case 'clear':
      noValue(kind);
      return 'clear';
    default:
      throw new UserError(`unknown fault ${kind}`, { hint: `use one of ${FAULT_KINDS.join(', ')}` });
  }
}

function bothWays(name: string, type: string, attributes: Record<string, number>): Toxic[] {
  return (['upstream', 'downstream'] as const).map((stream) => ({
    name: `${name}-${stream}`,
    type,
    stream,
    toxicity: 1,
    attributes,
  }));
}

/**
 * Toxiproxy's latency toxic delays each chunk of one direction by latency ± jitter, so a round
 * trip crosses two of them: the profile's RTT and jitter are split between upstream (requests)
 * and downstream (responses). The smallest round trip is rttMs − jitterMs, the largest just under
 * rttMs + jitterMs.
 */
export function latencyToxics(link: LinkLatency): Toxic[] {
  if (link.rttMs === 0 && link.jitterMs === 0) return [];
  const up = { latency: Math.floor(link.rttMs / 2), jitter: Math.floor(link.jitterMs / 2) };
  const down = { latency: link.rttMs - up.latency, jitter: link.jitterMs - up.jitter };
  return [
    { name: 'latency-upstream', type: 'latency', stream: 'upstream', toxicity: 1, attributes: up },
    { name: 'latency-downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: down },
  ];
}

/** Every toxic one cluster's proxy should carry: its profile link, changed by the faults in force. */
export function desiredToxics(link: LinkLatency, faults: ActiveFaults): Toxic[] {
  const toxics = latencyToxics(faults.latency ?? link);
  if (faults.bandwidthKilobytesPerSecond !== undefined) {
    toxics.push(...bothWays('bandwidth', 'bandwidth', { rate: faults.bandwidthKilobytesPerSecond }));
  }
  // timeout 0: the toxic never closes the connection, it only swallows what passes.
  if (faults.timeout !== undefined)
    toxics.push(...bothWays('timeout', 'timeout', { timeout: afterMs(faults.timeout) }));
  if (faults.reset !== undefined) {
    toxics.push({
      name: 'reset-upstream',
      type: 'reset_peer',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: afterMs(faults.reset) },
    });
  }
  return toxics;
}

function same(current: Toxic, wanted: Toxic): boolean {
  return (
    current.type === wanted.type &&
    current.stream === wanted.stream &&
    current.toxicity === wanted.toxicity &&
    Object.entries(wanted.attributes).every(([key, value]) => current.attributes[key] === value)
  );
}

/** What to remove and add so a proxy carries exactly `desired` (changed toxics are replaced). */
export function toxicChanges(
  current: readonly Toxic[],
  desired: readonly Toxic[],
): { remove: string[]; add: Toxic[] } {
  const kept = new Set(
    current
      .filter((toxic) => desired.some((w) => w.name === toxic.name && same(toxic, w)))
      .map((t) => t.name),
  );
  return {
    remove: current.filter((toxic) => !kept.has(toxic.name)).map((toxic) => toxic.name),
    add: desired.filter((toxic) => !kept.has(toxic.name)),
  };
}

/** One line per link for status and `fault` output: "110±5 ms", "timeout, 2000±100 ms". */
export function describeLink(link: LinkLatency, faults: ActiveFaults): string {
  const latency = faults.latency ?? link;
  const parts = [
    `${latency.rttMs}${latency.jitterMs ? `±${latency.jitterMs}` : ''} ms${faults.latency ? ' (fault)' : ''}`,
  ];
  if (faults.bandwidthKilobytesPerSecond !== undefined)
    parts.push(`${faults.bandwidthKilobytesPerSecond} KB/s`);
  if (faults.timeout !== undefined) {
    const ms = afterMs(faults.timeout);
    parts.push(ms === 0 ? 'timeout (black hole)' : `timeout (black hole, closed after ${ms} ms)`);
  }
  if (faults.reset !== undefined) {
    const ms = afterMs(faults.reset);
    parts.push(ms === 0 ? 'reset' : `reset after ${ms} ms`);
  }
  return parts.join(', ');
}
