import type { Cluster } from '../model/fleet.js';
import type { ReplicaCount } from '../model/release.js';
import type { Secret } from './secret.js';

export type Values = Record<string, unknown>;

/** A map of values; not a list, and not a Secret (merged whole, never looked into). */
function isPlainObject(value: unknown): value is Values {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Helm's coalescing for user values: maps merge key by key, anything else (lists too) is replaced. */
export function mergeValues(base: Values, overlay: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

/** What every chart and subchart deployed to a cluster sees under `global`. */
export function clusterGlobals(cluster: Cluster): Values {
  return {
    global: {
      ...cluster.globals,
      cloud: cluster.cloud,
      env: cluster.env,
      region: cluster.region,
      clusterName: cluster.name,
    },
  };
}

export interface ValueLayers {
  /** Parsed release values_files, in order. */
  files: readonly Values[];
  release: Values;
  cluster: Cluster;
  replicas: readonly ReplicaCount[];
  /** secret_id → value (or a placeholder string when planning). */
  secrets: Readonly<Record<string, Secret | string>>;
}

/**
 * The complete values of one release in one cluster. Later layers win:
 * chart defaults (helm) < values_files < values < cluster globals < scaling < secrets.
 */
export function layerValues(layers: ValueLayers): Values {
  let values: Values = {};
  for (const file of layers.files) values = mergeValues(values, file);
  values = mergeValues(values, layers.release);
  values = mergeValues(values, clusterGlobals(layers.cluster));
  if (layers.replicas.length > 0) {
    values = mergeValues(values, {
      scaling: Object.fromEntries(layers.replicas.map((r) => [r.name, r.count])),
    });
  }
  if (Object.keys(layers.secrets).length > 0)
    values = mergeValues(values, { secrets: { ...layers.secrets } });
  return values;
}
