import * as k8s from '@kubernetes/client-node';
import { apiMessage, type KubeTarget } from './kube.js';

/** Any Kubernetes object, as parsed from YAML or read from an API server. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const FIELD_MANAGER = 'regatta';

/** One client per kubeconfig and context: its discovery cache is what makes a generic apply cheap. */
const clients = new Map<string, k8s.KubernetesObjectApi>();

function objectApi(target: KubeTarget): k8s.KubernetesObjectApi {
  const key = `${target.kubeconfig}\0${target.context}`;
  let api = clients.get(key);
  if (!api) {
    const config = new k8s.KubeConfig();
    config.loadFromFile(target.kubeconfig);
    config.setCurrentContext(target.context);
    api = k8s.KubernetesObjectApi.makeApiClient(config);
    clients.set(key, api);
  }
  return api;
}

function describe(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const { name, namespace } = object.metadata;
  return `${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * Server-side apply of each object, in order, as field manager `regatta` taking over conflicting
 * fields (the files are the source of truth). A Secret's data never reaches an error message:
 * only the API server's message and the object's kind and name do.
 */
export async function applyObjects(target: KubeTarget, objects: readonly KubeObject[]): Promise<void> {
  const api = objectApi(target);
  for (const object of objects) {
    try {
      // The client serializes known kinds through its typed models, which expect their own field
      // names: plain JSON would lose fields like a CRD's x-kubernetes-preserve-unknown-fields.
      const typed = k8s.loadYaml<k8s.KubernetesObject>(JSON.stringify(object));
      await api.patch(typed, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
    } catch (error) {
      if (error instanceof k8s.ApiException)
        throw new Error(`${target.context}: cannot apply ${describe(object)}: ${apiMessage(error)}`);
      throw error;
    }
  }
}

/** Reads one object; undefined when it does not exist. */
export async function readObject<T extends KubeObject = KubeObject>(
  target: KubeTarget,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
): Promise<T | undefined> {
  try {
    return (await objectApi(target).read({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
    })) as T;
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    if (error instanceof k8s.ApiException)
      throw new Error(
        `${target.context}: cannot read ${describe({ kind: ref.kind, metadata: ref })}: ${apiMessage(error)}`,
      );
    throw error;
  }
}

/** Every object of a kind in all namespaces that carries the labels; none when the kind is not served. */
export async function listObjects<T extends KubeObject = KubeObject>(
  target: KubeTarget,
  ref: { apiVersion: string; kind: string },
  labels: Record<string, string>,
): Promise<T[]> {
  const selector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  try {
    const list = await objectApi(target).list(
      ref.apiVersion,
      ref.kind,
      undefined, // every namespace
      undefined,
      undefined,
      undefined,
      undefined, // field selector
      selector,
    );
    return list.items as T[];
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return [];
    if (error instanceof k8s.ApiException)
      throw new Error(`${target.context}: cannot list ${ref.kind}: ${apiMessage(error)}`);
    throw error;
  }
}

/** Deletes one object; nothing to do when it does not exist. */
export async function deleteObject(
  target: KubeTarget,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
): Promise<void> {
  try {
    await objectApi(target).delete({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
    });
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return;
    if (error instanceof k8s.ApiException)
      throw new Error(
        `${target.context}: cannot delete ${describe({ kind: ref.kind, metadata: ref })}: ${apiMessage(error)}`,
      );
    throw error;
  }
}

/** Whether a CustomResourceDefinition is Established (its kind is served). */
export async function crdEstablished(target: KubeTarget, name: string): Promise<boolean> {
  const crd = await readObject<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
    target,
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name },
  );
  return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/**
 * Sets annotations with a merge patch (not an apply: an apply of a partial object would drop
 * the fields this field manager set before). Flux reconciles at once on `reconcile.fluxcd.io/requestedAt`.
 */
export async function annotateObject(
  target: KubeTarget,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  annotations: Record<string, string>,
): Promise<void> {
  try {
    await objectApi(target).patch(
      {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace, annotations },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
  } catch (error) {
    if (error instanceof k8s.ApiException)
      throw new Error(
        `${target.context}: cannot annotate ${describe({ kind: ref.kind, metadata: ref })}: ${apiMessage(error)}`,
      );
    throw error;
  }
}
