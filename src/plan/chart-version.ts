import semver from 'semver';

/**
 * The version to deploy when a release names none: the newest stable version, or on a dev
 * environment with a branch, the newest built from that branch (`1.4.3-mybranch.<sha>`).
 */
export function pickChartVersion(versions: readonly string[], branch?: string): string | undefined {
  const valid = versions.filter((version) => semver.valid(version));
  const candidates = branch
    ? valid.filter((version) => {
        const pre = semver.prerelease(version);
        return pre !== null && String(pre[0]) === branch;
      })
    : valid.filter((version) => semver.prerelease(version) === null);
  return candidates.sort(semver.rcompare)[0];
}
