import { parseAllDocuments } from 'yaml';
import type { ReplicaCount } from '../model/release.js';

const SCALABLE_KINDS = new Set(['Deployment', 'StatefulSet']);

/** `Kind/name` of every workload a HorizontalPodAutoscaler of the same manifest scales. */
export function autoscaledWorkloads(objects: readonly unknown[]): Set<string> {
  const targets = new Set<string>();
  for (const object of objects) {
    const o = object as {
      kind?: unknown;
      spec?: { scaleTargetRef?: { kind?: unknown; name?: unknown } };
    } | null;
    const ref = o?.kind === 'HorizontalPodAutoscaler' ? o.spec?.scaleTargetRef : undefined;
    if (typeof ref?.kind === 'string' && typeof ref.name === 'string') targets.add(`${ref.kind}/${ref.name}`);
  }
  return targets;
}

export interface ScaledManifest {
  manifest: string;
  /** Requested names that no rendered Deployment or StatefulSet has. */
  missing: string[];
}

/**
 * Sets spec.replicas of each named Deployment/StatefulSet in a rendered manifest, wherever it
 * comes from (a subchart too) and whatever the chart's values say, and leaves out the count of a
 * workload that an autoscaler of the release scales (unless the release file sets it on
 * purpose). Used at plan time and as Helm's post-renderer, so what is planned is what gets applied.
 */
export function applyReplicaCounts(manifest: string, replicas: readonly ReplicaCount[]): ScaledManifest {
  const documents = parseAllDocuments(manifest);
  const list = Array.isArray(documents) ? documents : [];
  const autoscaled = autoscaledWorkloads(list.map((document) => document.toJS() as unknown));
  if (replicas.length === 0 && autoscaled.size === 0) return { manifest, missing: [] };
  const wanted = new Map(replicas.map((r) => [r.name, r.count]));
  const found = new Set<string>();
  const parts = list.map((document) => {
    const kind = document.get('kind');
    const name = document.getIn(['metadata', 'name']);
    if (typeof kind === 'string' && SCALABLE_KINDS.has(kind) && typeof name === 'string') {
      if (wanted.has(name)) {
        document.setIn(['spec', 'replicas'], wanted.get(name));
        found.add(name);
      } else if (autoscaled.has(`${kind}/${name}`) && document.hasIn(['spec', 'replicas'])) {
        // An autoscaler in the release owns this count: applying the chart's number would take it
        // back from the HPA at every deploy (Helm 4 forces apply conflicts).
        document.deleteIn(['spec', 'replicas']);
      }
    }
    return document.toString({ lineWidth: 0 });
  });
  return {
    // A document that began with `---` keeps its marker when printed; the others need one.
    manifest: parts.map((part) => (part.startsWith('---') ? part : `---\n${part}`)).join(''),
    missing: replicas.map((r) => r.name).filter((name) => !found.has(name)),
  };
}
