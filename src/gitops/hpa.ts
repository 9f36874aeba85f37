import { parseAllDocuments } from 'yaml';

export interface ScaleTarget {
  kind: string;
  name: string;
}

/**
 * Pure: the Deployments/StatefulSets a rendered chart's HorizontalPodAutoscalers scale. Their
 * spec.replicas belongs to the HPA's controller, so Flux's drift detection must ignore it.
 */
export function hpaScaleTargets(manifest: string): ScaleTarget[] {
  const targets = new Map<string, ScaleTarget>();
  for (const document of parseAllDocuments(manifest)) {
    const object = document.toJS() as {
      kind?: string;
      spec?: { scaleTargetRef?: { kind?: string; name?: string } };
    } | null;
    const ref = object?.kind === 'HorizontalPodAutoscaler' ? object.spec?.scaleTargetRef : undefined;
    if (ref?.kind && ref.name) targets.set(`${ref.kind}/${ref.name}`, { kind: ref.kind, name: ref.name });
  }
  return [...targets.values()].sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
}
