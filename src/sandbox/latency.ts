import { existsSync } from 'node:fs';
import { parseYamlFile } from '../config/yaml-source.js';
import { validateAgainst } from '../config/validate.js';
import { UserError } from '../errors.js';
import { CLUSTER_NAMES } from './layout.js';

/** The network between the user and one cluster's API server. */
export interface LinkLatency {
  /** Round-trip time added by the proxy, in milliseconds. */
  rttMs: number;
  /** The round trip varies by up to this much either way. */
  jitterMs: number;
}

/** What `--latency` resolved to: a name for status lines and each cluster's link. */
export interface LatencyProfile {
  name: string;
  clusters: Record<string, LinkLatency>;
}

/** Round trips from Paris to the GCP regions of the seed's public-cloud clusters. */
const CLOUD_REGIONS: Record<string, LinkLatency> = {
  'europe-west1': { rttMs: 15, jitterMs: 2 },
  'us-central1': { rttMs: 110, jitterMs: 5 },
  'asia-east1': { rttMs: 250, jitterMs: 10 },
};

/**
 * The seed's data centres (dev-* and prod-europe-west1, which has `cloud: false` in
 * examples/regatta.yaml) are 5–30 ms from Paris whatever their name says. dev-us-central1-0 is the
 * farthest of them, so even a 2-cluster sandbox has a near and a farther cluster.
 * prod-europe-west1 is as far as the cloud region it is named after: the seed's europe-west1 is
 * then a cluster of the six at 15 ms, whether one reads it as a data centre or a region.
 */
const DATA_CENTRES: Record<string, LinkLatency> = {
  'dev-us-central1-0': { rttMs: 30, jitterMs: 3 },
  'dev-europe-west1-0': { rttMs: 5, jitterMs: 1 },
  'prod-europe-west1': CLOUD_REGIONS['europe-west1'] as LinkLatency,
};

function seedLink(cluster: string): LinkLatency {
  const region = Object.keys(CLOUD_REGIONS).find((name) => cluster.includes(name)) as string;
  return DATA_CENTRES[cluster] ?? (CLOUD_REGIONS[region] as LinkLatency);
}

/** The seed's fleet as seen from Paris: three data centres near, three public-cloud clusters by region. */
export const SEED_PROFILE: LatencyProfile = {
  name: 'seed',
  clusters: Object.fromEntries(CLUSTER_NAMES.map((name) => [name, seedLink(name)])),
};

/** Every cluster behind the proxy with nothing added: for `sandbox fault` without latency. */
export const ZERO_PROFILE: LatencyProfile = {
  name: 'zero',
  clusters: Object.fromEntries(CLUSTER_NAMES.map((name) => [name, { rttMs: 0, jitterMs: 0 }])),
};

const BUILT_IN = [SEED_PROFILE, ZERO_PROFILE];
export const MAX_RTT_MS = 60_000;

export const profileSchema = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['rttMs'],
    additionalProperties: false,
    properties: {
      rttMs: { type: 'integer', minimum: 0, maximum: MAX_RTT_MS },
      jitterMs: { type: 'integer', minimum: 0, maximum: MAX_RTT_MS },
    },
  },
};

/** A profile file: cluster name → { rttMs, jitterMs }. Clusters it leaves out get no latency. */
export function parseLatencyProfileFile(file: string, text?: string): LatencyProfile {
  const [source, extra] = parseYamlFile(file, text);
  if (!source) throw new UserError('the latency profile is empty', { position: { file, line: 1, col: 1 } });
  if (extra) {
    throw new UserError('a latency profile holds one YAML document', { position: extra.positionOf([]) });
  }
  validateAgainst(profileSchema, source, 'the latency profile');
  const raw = source.value as Record<string, { rttMs: number; jitterMs?: number }>;
  const clusters: Record<string, LinkLatency> = {};
  for (const [name, link] of Object.entries(raw)) {
    if (!(CLUSTER_NAMES as readonly string[]).includes(name)) {
      throw new UserError(`unknown sandbox cluster ${name} in the latency profile`, {
        position: source.keyPositionOf([name]),
        hint: `sandbox clusters: ${CLUSTER_NAMES.join(', ')}`,
      });
    }
    const jitterMs = link.jitterMs ?? 0;
    if (jitterMs > link.rttMs) {
      throw new UserError(`${name}.jitterMs (${jitterMs}) is larger than its rttMs (${link.rttMs})`, {
        position: source.positionOf([name, 'jitterMs']),
        hint: 'a round trip cannot be shorter than zero: lower the jitter',
      });
    }
    clusters[name] = { rttMs: link.rttMs, jitterMs };
  }
  return { name: file, clusters };
}

/** `--latency none|seed|zero|FILE`; undefined for none (no proxy at all, as without the flag). */
export function resolveLatencyProfile(value: string): LatencyProfile | undefined {
  if (value === 'none') return undefined;
  const builtIn = BUILT_IN.find((profile) => profile.name === value);
  if (builtIn) return builtIn;
  if (!existsSync(value)) {
    throw new UserError(`--latency ${value}: no built-in profile or file by that name`, {
      hint: `use none, ${BUILT_IN.map((profile) => profile.name).join(', ')} or a YAML file of cluster: { rttMs, jitterMs }`,
    });
  }
  return parseLatencyProfileFile(value);
}

/** The link of one cluster under a profile (no latency for clusters it does not list). */
export function linkOf(profile: LatencyProfile, cluster: string): LinkLatency {
  return profile.clusters[cluster] ?? { rttMs: 0, jitterMs: 0 };
}
