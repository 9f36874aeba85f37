import { splitManifest } from '../plan/manifests.js';
import { autoscaledWorkloads } from '../plan/scaling.js';

export interface ScaleTarget {
  kind: string;
  name: string;
}

/**
 * Pure: the Deployments/StatefulSets a rendered chart's HorizontalPodAutoscalers scale. Their
 * spec.replicas belongs to the HPA's controller, so Flux's drift detection must ignore it.
 */
export function hpaScaleTargets(manifest: string): ScaleTarget[] {
  return [...autoscaledWorkloads(splitManifest(manifest).map((part) => part.object))].sort().map((key) => {
    const [kind, name] = key.split('/') as [string, string];
    return { kind, name };
  });
}
