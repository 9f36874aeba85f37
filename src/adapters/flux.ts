import type { HelmReleaseState } from '../gitops/readiness.js';
import * as k8s from '@kubernetes/client-node';
import { loadConfig, type KubeTarget } from './kube.js';
import { listObjects, readObject, type KubeObject } from './kube-objects.js';

interface RawHelmRelease extends KubeObject {
  metadata: { name: string; namespace?: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    lastAttemptedRevision?: string;
    history?: { chartVersion?: string; status?: string; configDigest?: string }[];
  };
}

/** A HelmRelease's generation and status as helm-controller reports them; undefined when absent. */
export async function readHelmRelease(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<HelmReleaseState | undefined> {
  const object = await readObject<RawHelmRelease>(target, {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    namespace,
    name,
  });
  if (!object) return undefined;
  return {
    generation: object.metadata.generation,
    observedGeneration: object.status?.observedGeneration,
    conditions: object.status?.conditions ?? [],
    lastAttemptedRevision: object.status?.lastAttemptedRevision,
    history: (object.status?.history ?? []).map(({ chartVersion, status, configDigest }) => ({
      chartVersion,
      status,
      configDigest,
    })),
  };
}

export interface KustomizationState {
  generation?: number;
  observedGeneration?: number;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  /** `branch@sha1:<commit>` of the last revision applied, and of the last attempted. */
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
}

export async function readKustomization(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<KustomizationState | undefined> {
  const object = await readObject<
    KubeObject & {
      metadata: { generation?: number };
      status?: Omit<KustomizationState, 'generation'> & { conditions?: KustomizationState['conditions'] };
    }
  >(target, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', namespace, name });
  if (!object) return undefined;
  return {
    generation: object.metadata.generation,
    observedGeneration: object.status?.observedGeneration,
    conditions: object.status?.conditions ?? [],
    lastAppliedRevision: object.status?.lastAppliedRevision,
    lastAttemptedRevision: object.status?.lastAttemptedRevision,
  };
}

/** The HelmReleases carrying these labels (Regatta's own), by namespace and name. */
export async function listHelmReleases(
  target: KubeTarget,
  labels: Record<string, string>,
): Promise<{ name: string; namespace: string }[]> {
  const items = await listObjects<RawHelmRelease>(
    target,
    { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' },
    labels,
  );
  return items.map((item) => ({ name: item.metadata.name, namespace: item.metadata.namespace ?? 'default' }));
}

/** helm-controller's drift events (internal/reconcile/correct_cluster_drift.go). */
const DRIFT_REASONS = ['DriftCorrected', 'DriftCorrectionFailed'];

/** The newest drift correction helm-controller reported for a HelmRelease, as its Event says. */
export async function lastDriftCorrection(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<{ at: string; failed: boolean } | undefined> {
  const core = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const events = await core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.kind=HelmRelease,involvedObject.name=${name}`,
  });
  const time = (event: k8s.CoreV1Event) =>
    new Date(event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? 0).toISOString();
  const drift = events.items
    .filter((event) => DRIFT_REASONS.includes(event.reason ?? ''))
    .sort((a, b) => time(a).localeCompare(time(b)))
    .at(-1);
  return drift ? { at: time(drift), failed: drift.reason === 'DriftCorrectionFailed' } : undefined;
}
