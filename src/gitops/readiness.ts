/** What Regatta reads of a HelmRelease to judge it (see src/adapters/flux.ts). */
export interface HelmReleaseState {
  generation?: number;
  observedGeneration?: number;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  lastAttemptedRevision?: string;
  /**
   * Newest first, as Flux keeps it. `configDigest`: sha256 of the release's values, secrets
   * included (see config-digest.ts) — compared, never printed.
   */
  history: { chartVersion?: string; status?: string; configDigest?: string }[];
}

export type Readiness =
  { state: 'ready' } | { state: 'progressing'; reason: string } | { state: 'failed'; reason: string };

/**
 * A chart from git is reconciled by revision: Flux appends the source revision as build
 * metadata (`1.2.0+0123abcd4567`), which is still the expected chart version.
 */
export function sameChartVersion(actual: string | undefined, expected: string): boolean {
  return actual === expected || (actual?.startsWith(`${expected}+`) ?? false);
}

/** Ready=False reasons after which helm-controller, with remediation off, tries nothing more for this generation. */
const TERMINAL_REASONS = new Set([
  'InstallFailed',
  'UpgradeFailed',
  'ArtifactFailed',
  'InitFailed',
  'TestFailed',
]);

/**
 * Pure: a HelmRelease's readiness the way Flux means it, never from a stale condition — the
 * controller must have observed the current generation, attempted the expected chart version,
 * and recorded that version deployed as the newest history entry — with the expected values,
 * when their config digest is given (a release deployed with other values, e.g. an older
 * valuesFrom Secret, is not the deploy's). The reasons never hold a digest: it hashes secrets.
 */
export function helmReleaseReadiness(
  state: HelmReleaseState | undefined,
  expected: { chartVersion?: string; configDigest?: string },
): Readiness {
  if (!state) return { state: 'progressing', reason: 'HelmRelease not applied yet' };
  if (state.generation === undefined || state.observedGeneration !== state.generation)
    return {
      state: 'progressing',
      reason: `generation ${state.generation ?? '?'} not observed yet (observed ${state.observedGeneration ?? 'none'})`,
    };
  const condition = (type: string) => state.conditions.find((c) => c.type === type);
  const ready = condition('Ready');
  const stalled = condition('Stalled');
  const attempted = state.lastAttemptedRevision;
  if (expected.chartVersion !== undefined && !sameChartVersion(attempted, expected.chartVersion))
    return {
      state: 'progressing',
      reason: `chart ${expected.chartVersion} not attempted yet (last: ${attempted ?? 'none'})`,
    };
  if (stalled?.status === 'True')
    return { state: 'failed', reason: `${stalled.reason ?? 'Stalled'}: ${stalled.message ?? ''}`.trim() };
  if (ready?.status === 'False' && ready.reason && TERMINAL_REASONS.has(ready.reason))
    return { state: 'failed', reason: `${ready.reason}: ${ready.message ?? ''}`.trim() };
  if (ready?.status !== 'True')
    return { state: 'progressing', reason: ready?.reason ?? 'no Ready condition yet' };
  const [latest] = state.history;
  const wanted = expected.chartVersion ?? attempted ?? '';
  if (!latest || !sameChartVersion(latest.chartVersion, wanted) || latest.status !== 'deployed')
    return {
      state: 'progressing',
      reason: `history shows ${latest?.chartVersion ?? 'nothing'} ${latest?.status ?? ''}`.trim(),
    };
  if (expected.configDigest !== undefined && latest.configDigest !== expected.configDigest)
    return {
      state: 'progressing',
      reason: `${latest.chartVersion} deployed, not yet with the committed values`,
    };
  return { state: 'ready' };
}
