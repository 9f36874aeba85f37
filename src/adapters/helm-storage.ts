import { gunzipSync, gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { parseHelmStatus, type HelmRevision, type HelmStatus } from '../model/helm-release.js';
import { loadConfig, type KubeTarget } from './kube.js';

export type { HelmRevision };

/**
 * Helm's release storage (Secrets of type helm.sh/release.v1), read and — for the two things Helm
 * itself offers no command for — written: marking a release left pending by a killed helm as
 * failed (what Flux's helm-controller calls unlocking), and recording a deploy's verdict.
 */
interface StoredRelease {
  name: string;
  namespace: string;
  version: number;
  info?: { status?: string; description?: string; last_deployed?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
  manifest?: string;
  config?: Record<string, unknown>;
}

function decodeRelease(data: string): StoredRelease {
  // Kubernetes base64 around Helm's base64 around gzip (or plain JSON in old releases).
  const inner = Buffer.from(Buffer.from(data, 'base64').toString('utf8'), 'base64');
  const json = inner[0] === 0x1f && inner[1] === 0x8b ? gunzipSync(inner) : inner;
  return JSON.parse(json.toString('utf8')) as StoredRelease;
}

function encodeRelease(stored: StoredRelease): string {
  const helmEncoded = gzipSync(Buffer.from(JSON.stringify(stored))).toString('base64');
  return Buffer.from(helmEncoded).toString('base64');
}

function toRevision(secret: k8s.V1Secret): HelmRevision {
  const stored = decodeRelease(secret.data?.release as string);
  return {
    name: stored.name,
    namespace: stored.namespace,
    revision: stored.version,
    status: parseHelmStatus(stored.info?.status),
    chartName: stored.chart?.metadata?.name ?? '',
    chartVersion: stored.chart?.metadata?.version ?? '',
    appVersion: stored.chart?.metadata?.appVersion,
    description: stored.info?.description ?? '',
    updated: stored.info?.last_deployed,
    labels: secret.metadata?.labels ?? {},
    manifest: stored.manifest ?? '',
    config: stored.config ?? {},
  };
}

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Which Helm releases a list asks for: one, the named ones, or (neither given) all. */
export interface HelmRecordQuery {
  namespace?: string;
  release?: string;
  names?: readonly string[];
}

/**
 * The stored records of the named Helm releases (all of them when `names` is absent), undecoded.
 * Only the records asked for are listed: a label selector on the release name.
 */
async function listHelmRecords(target: KubeTarget, options: HelmRecordQuery): Promise<k8s.V1Secret[]> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const names = options.release ? [options.release] : options.names;
  const valid = names?.filter((name) => NAME_PATTERN.test(name));
  if (valid && valid.length === 0) return [];
  const selector = ['owner=helm', ...(valid ? [`name in (${valid.join(',')})`] : [])].join(',');
  const list = options.namespace
    ? await api.listNamespacedSecret({ namespace: options.namespace, labelSelector: selector })
    : await api.listSecretForAllNamespaces({ labelSelector: selector });
  return list.items.filter((secret) => secret.type === 'helm.sh/release.v1' && secret.data?.release);
}

/**
 * Pure: what identifies a set of records as listed — each one's name and resourceVersion, sorted.
 * Any write to a record (a new revision, a verdict, a pending one marked failed) changes it.
 */
export function recordVersions(records: readonly k8s.V1Secret[]): string[] {
  return records
    .map(
      (secret) =>
        `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}@${secret.metadata?.resourceVersion ?? ''}`,
    )
    .sort();
}

const byRevision = (a: HelmRevision, b: HelmRevision) =>
  a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.revision - b.revision;

/** Every stored revision of the named Helm releases (all of them when `names` is absent), oldest first. */
export async function listHelmRevisions(
  target: KubeTarget,
  options: HelmRecordQuery,
): Promise<HelmRevision[]> {
  return (await listHelmRecords(target, options)).map(toRevision).sort(byRevision);
}

/** `listHelmRevisions`, and the records' versions (see `recordVersions`) to tell later whether any changed. */
export async function listHelmRevisionsVersioned(
  target: KubeTarget,
  options: HelmRecordQuery,
): Promise<{ revisions: HelmRevision[]; versions: string[] }> {
  const records = await listHelmRecords(target, options);
  return { revisions: records.map(toRevision).sort(byRevision), versions: recordVersions(records) };
}

/** The records' versions only (see `recordVersions`), nothing decoded. */
export async function helmRecordVersions(target: KubeTarget, options: HelmRecordQuery): Promise<string[]> {
  return recordVersions(await listHelmRecords(target, options));
}

/** The revision number Helm writes on each record's labels (`version`), read without decoding it. */
function labelledVersion(secret: k8s.V1Secret): number | undefined {
  const version = Number(secret.metadata?.labels?.version);
  return Number.isInteger(version) && version > 0 ? version : undefined;
}

/**
 * Pure: the record of the newest revision by Helm's `version` label, undefined when there is none,
 * 'unknown' when a record lacks the label (written by something other than Helm: decode to know).
 */
export function newestRecord(records: readonly k8s.V1Secret[]): k8s.V1Secret | undefined | 'unknown' {
  let newest: k8s.V1Secret | undefined;
  for (const record of records) {
    const version = labelledVersion(record);
    if (version === undefined) return 'unknown';
    if (!newest || version > labelledVersion(newest)!) newest = record;
  }
  return newest;
}

/**
 * The newest stored revision of one Helm release, if it has any. Only that record is decoded
 * (found by the `version` label Helm puts on each): a release keeps up to ten revisions, and each
 * decode inflates a whole manifest.
 */
export async function latestHelmRevision(
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<HelmRevision | undefined> {
  if (!NAME_PATTERN.test(release)) return undefined;
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const list = await api.listNamespacedSecret({
    namespace,
    labelSelector: `owner=helm,name=${release}`,
  });
  const records = list.items.filter((secret) => secret.type === 'helm.sh/release.v1' && secret.data?.release);
  const newest = newestRecord(records);
  if (newest === 'unknown') {
    return records
      .map(toRevision)
      .sort((a, b) => a.revision - b.revision)
      .at(-1);
  }
  return newest && toRevision(newest);
}

const secretName = (release: string, revision: number) => `sh.helm.release.v1.${release}.v${revision}`;

/** Reads, changes and writes back one release record; optimistic (a concurrent write fails it). */
async function updateRecord(
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
  change: {
    labels: (labels: Record<string, string>) => void;
    /** Absent: the record's body is kept as it is, not decoded and encoded again. */
    body?: (stored: StoredRelease) => void;
  },
): Promise<void> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  const name = secretName(release, revision);
  const secret = await api.readNamespacedSecret({ namespace, name });
  const labels = { ...(secret.metadata?.labels ?? {}) };
  change.labels(labels);
  let data = secret.data;
  if (change.body) {
    const stored = decodeRelease(secret.data?.release as string);
    change.body(stored);
    data = { ...secret.data, release: encodeRelease(stored) };
  }
  await api.replaceNamespacedSecret({
    namespace,
    name,
    body: { ...secret, metadata: { ...secret.metadata, labels }, data },
  });
}

/**
 * A revision left `pending-*` by a helm that was killed: marked failed, so helm accepts the next
 * operation ("another operation is in progress" otherwise, for ever).
 */
export function markRevisionFailed(
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
  description: string,
): Promise<void> {
  const status: HelmStatus = 'failed';
  return updateRecord(target, namespace, release, revision, {
    labels: (labels) => (labels.status = status),
    body: (stored) => (stored.info = { ...stored.info, status, description }),
  });
}

/**
 * Adds labels to a revision's record (Helm reads them back as the release's labels): one merge
 * patch of its labels, one round trip, the record's body neither read nor sent.
 */
export async function labelRevision(
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
  added: Record<string, string>,
): Promise<void> {
  const api = loadConfig(target).makeApiClient(k8s.CoreV1Api);
  await api.patchNamespacedSecret(
    { namespace, name: secretName(release, revision), body: { metadata: { labels: added } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}
