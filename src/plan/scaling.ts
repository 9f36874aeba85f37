import { parseAllDocuments } from 'yaml';
import type { ReplicaCount } from '../model/release.js';

const SCALABLE_KINDS = new Set(['Deployment', 'StatefulSet']);

export interface ScaledManifest {
  manifest: string;
  /** Requested names that no rendered Deployment or StatefulSet has. */
  missing: string[];
}

/**
 * Sets spec.replicas of each named Deployment/StatefulSet in a rendered manifest, wherever it
 * comes from (a subchart too) and whatever the chart's values say. Used at plan time and as
 * Helm's post-renderer, so what is planned is what gets applied.
 */
export function applyReplicaCounts(manifest: string, replicas: readonly ReplicaCount[]): ScaledManifest {
  if (replicas.length === 0) return { manifest, missing: [] };
  const wanted = new Map(replicas.map((r) => [r.name, r.count]));
  const found = new Set<string>();
  const documents = parseAllDocuments(manifest);
  const parts = (Array.isArray(documents) ? documents : []).map((document) => {
    const kind = document.get('kind');
    const name = document.getIn(['metadata', 'name']);
    if (
      typeof kind === 'string' &&
      SCALABLE_KINDS.has(kind) &&
      typeof name === 'string' &&
      wanted.has(name)
    ) {
      document.setIn(['spec', 'replicas'], wanted.get(name));
      found.add(name);
    }
    return document.toString({ lineWidth: 0 });
  });
  return {
    // A document that began with `---` keeps its marker when printed; the others need one.
    manifest: parts.map((part) => (part.startsWith('---') ? part : `---\n${part}`)).join(''),
    missing: replicas.map((r) => r.name).filter((name) => !found.has(name)),
  };
}
