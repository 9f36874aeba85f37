import * as k8s from '@kubernetes/client-node';
import { apiStatus, loadConfig, type KubeTarget } from './kube.js';

/** A coordination.k8s.io Lease as Regatta uses it: a lock with a holder and a few facts about it. */
export interface LeaseRecord {
  name: string;
  namespace: string;
  holder?: string;
  /** When the holder last said it was alive, and for how long that holds. */
  renewTime?: Date;
  durationSeconds?: number;
  annotations: Record<string, string>;
  resourceVersion?: string;
}

function toRecord(lease: k8s.V1Lease): LeaseRecord {
  const renew = lease.spec?.renewTime as Date | string | undefined;
  return {
    name: lease.metadata?.name ?? '',
    namespace: lease.metadata?.namespace ?? '',
    holder: lease.spec?.holderIdentity ?? undefined,
    renewTime: renew === undefined ? undefined : new Date(renew),
    durationSeconds: lease.spec?.leaseDurationSeconds ?? undefined,
    annotations: lease.metadata?.annotations ?? {},
    resourceVersion: lease.metadata?.resourceVersion,
  };
}

const api = (target: KubeTarget) => loadConfig(target).makeApiClient(k8s.CoordinationV1Api);

export const isConflict = (error: unknown) =>
  error instanceof k8s.ApiException && (error.code === 409 || error.code === 412);
const isNotFound = (error: unknown) => error instanceof k8s.ApiException && error.code === 404;

export interface LeaseClaim {
  name: string;
  namespace: string;
  holder: string;
  durationSeconds: number;
  annotations: Record<string, string>;
  /** A release's lock (the default), or a run's heartbeat, which `status` and `abort` do not list. */
  role?: 'lock' | 'heartbeat';
}

/** Labels every Regatta lease carries: `status` and `abort` find them by holder. */
export const LEASE_LABEL = 'regatta.io/lock';
export const LEASE_HOLDER_LABEL = 'regatta.io/lock-holder';
const HEARTBEAT_LABEL = 'regatta.io/heartbeat';

function body(claim: LeaseClaim, now: Date, resourceVersion?: string): k8s.V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: claim.name,
      namespace: claim.namespace,
      labels: {
        [claim.role === 'heartbeat' ? HEARTBEAT_LABEL : LEASE_LABEL]: 'true',
        [LEASE_HOLDER_LABEL]: claim.holder,
      },
      annotations: claim.annotations,
      resourceVersion,
    },
    spec: {
      holderIdentity: claim.holder,
      leaseDurationSeconds: claim.durationSeconds,
      acquireTime: new k8s.V1MicroTime(now.getTime()),
      renewTime: new k8s.V1MicroTime(now.getTime()),
    },
  };
}

/** The API server's answer to a write into a namespace that does not exist. */
function isNamespaceMissing(error: unknown, namespace: string): boolean {
  if (!isNotFound(error)) return false;
  const details = apiStatus(error as k8s.ApiException<unknown>)?.details;
  return details?.kind === 'namespaces' && details.name === namespace;
}

/**
 * Creates the lease; 'exists' if it exists (read it to see who holds it), 'no-namespace' when its
 * namespace does not exist (yet).
 */
export async function createLease(
  target: KubeTarget,
  claim: LeaseClaim,
): Promise<LeaseRecord | 'exists' | 'no-namespace'> {
  try {
    return toRecord(
      await api(target).createNamespacedLease({ namespace: claim.namespace, body: body(claim, new Date()) }),
    );
  } catch (error) {
    if (isConflict(error)) return 'exists';
    if (isNamespaceMissing(error, claim.namespace)) return 'no-namespace';
    throw error;
  }
}

export async function readLease(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<LeaseRecord | undefined> {
  try {
    return toRecord(await api(target).readNamespacedLease({ namespace, name }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** `readLease`, or 'forbidden' when this user may not read leases in that namespace. */
export async function readLeaseIfAllowed(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<LeaseRecord | undefined | 'forbidden'> {
  try {
    return await readLease(target, namespace, name);
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 403) return 'forbidden';
    throw error;
  }
}

/**
 * Writes the lease over the version read (`resourceVersion`): a takeover. Undefined when someone
 * else wrote it in between (optimistic concurrency). A Lease deleted in between is made anew (the
 * API server creates on update): right for a takeover, never for a renewal (`renewLease`).
 */
export async function replaceLease(
  target: KubeTarget,
  claim: LeaseClaim,
  resourceVersion: string,
): Promise<LeaseRecord | undefined> {
  try {
    return toRecord(
      await api(target).replaceNamespacedLease({
        namespace: claim.namespace,
        name: claim.name,
        body: body(claim, new Date(), resourceVersion),
      }),
    );
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Renews the lease as of the version given (a merge patch: unlike a replace, which the API server
 * turns into a create for a Lease that is gone, it never brings a deleted lease back), with
 * `annotations` merged in (null: removed) and a new duration if given. Undefined when someone else
 * wrote or deleted it since.
 */
export async function renewLease(
  target: KubeTarget,
  lease: LeaseRecord,
  change: { annotations?: Record<string, string | null>; durationSeconds?: number } = {},
): Promise<LeaseRecord | undefined> {
  try {
    return toRecord(
      await api(target).patchNamespacedLease(
        {
          namespace: lease.namespace,
          name: lease.name,
          body: {
            metadata: { resourceVersion: lease.resourceVersion, annotations: change.annotations },
            spec: {
              renewTime: new k8s.V1MicroTime(Date.now()),
              leaseDurationSeconds: change.durationSeconds,
            },
          },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return undefined;
    throw error;
  }
}

/** Every Regatta lease of a cluster (optionally of one holder), in every namespace. */
export async function listLeases(target: KubeTarget, holder?: string): Promise<LeaseRecord[]> {
  const selector = holder ? `${LEASE_LABEL}=true,${LEASE_HOLDER_LABEL}=${holder}` : `${LEASE_LABEL}=true`;
  const list = await api(target).listLeaseForAllNamespaces({ labelSelector: selector });
  return list.items.map(toRecord);
}

/** Every lease of one namespace, whoever made it (namespace rights suffice, as for taking one). */
export async function listNamespacedLeases(target: KubeTarget, namespace: string): Promise<LeaseRecord[]> {
  const list = await api(target).listNamespacedLease({ namespace });
  return list.items.map(toRecord);
}

/**
 * Deletes the lease if it is still the version given: 'changed' when someone wrote it since,
 * 'gone' when it was already deleted.
 */
export async function deleteLease(
  target: KubeTarget,
  lease: LeaseRecord,
): Promise<'deleted' | 'changed' | 'gone'> {
  try {
    await api(target).deleteNamespacedLease({
      namespace: lease.namespace,
      name: lease.name,
      body: { preconditions: { resourceVersion: lease.resourceVersion } },
    });
    return 'deleted';
  } catch (error) {
    if (isConflict(error)) return 'changed';
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}
