/**
 * Helm's release status, as its storage records it (helm/pkg/release/v1/info.go). A typed union:
 * every decision about a release starts from one of these, never from a free string.
 */
export const HELM_STATUSES = [
  'unknown',
  'deployed',
  'uninstalled',
  'superseded',
  'failed',
  'uninstalling',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
] as const;
export type HelmStatus = (typeof HELM_STATUSES)[number];

export const parseHelmStatus = (value: string | undefined): HelmStatus =>
  (HELM_STATUSES as readonly string[]).includes(value ?? '') ? (value as HelmStatus) : 'unknown';

/** A helm operation is running on the release, or was killed while it ran (the release is locked). */
export const isPending = (status: HelmStatus) =>
  status === 'pending-install' || status === 'pending-upgrade' || status === 'pending-rollback';

/** Labels Regatta puts on the revisions it makes (Helm keeps them on its release records). */
export const DEPLOY_ID_LABEL = 'regatta.io/deploy-id';
export const CHART_DIGEST_LABEL = 'regatta.io/chart-digest';
/**
 * What the fleet-wide deploy that made a revision concluded: `good` once every target of it was
 * healthy, `failed` once it was rolled back. Absent: not decided (yet) — never a rollback target.
 */
export const VERDICT_LABEL = 'regatta.io/verdict';
/** An emergency option a deploy ran with (`skip-gates`, `wave.NAME`), kept in its history. */
export const EMERGENCY_LABEL = 'regatta.io/emergency';
export type Verdict = 'good' | 'failed';

/** One revision of a Helm release, read from Helm's own storage. Plain data. */
export interface HelmRevision {
  name: string;
  namespace: string;
  revision: number;
  status: HelmStatus;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
  description: string;
  updated?: string;
  labels: Record<string, string>;
  manifest: string;
  /** The user-supplied values of that revision. May hold secrets: never print. */
  config: Record<string, unknown>;
}

/**
 * Pure: the labels of a revision a deploy makes. `helm upgrade` carries the previous revision's
 * labels over (its mergeCustomLabels), so a verdict or an emergency mark of the revision before
 * would be inherited: they are dropped with Helm's "null" value unless set on purpose. (An
 * inherited `good` once made an unfinished deploy's revision a rollback target.)
 */
export function revisionLabels(options: {
  deployId: string;
  chartDigest: string;
  emergency?: string;
  /** `helm install` of a release with no history: nothing to inherit, and "null" would be kept. */
  firstInstall: boolean;
}): Record<string, string> {
  const drop: Record<string, string> = options.firstInstall
    ? {}
    : { [VERDICT_LABEL]: 'null', [EMERGENCY_LABEL]: 'null' };
  return {
    ...drop,
    ...(options.emergency ? { [EMERGENCY_LABEL]: options.emergency } : {}),
    [DEPLOY_ID_LABEL]: options.deployId,
    [CHART_DIGEST_LABEL]: options.chartDigest,
  };
}
