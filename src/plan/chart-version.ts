import semver from 'semver';

/** A version in a chart repository, with when it was pushed when the repository says. */
export interface ChartBuild {
  version: string;
  /** ISO time the repository recorded (ChartMuseum `created`, OCI `org.opencontainers.image.created`). */
  created?: string;
}

/** A branch name as a semver pre-release identifier: `feature/login` → `feature-login`. */
export function prereleaseId(branch: string): string {
  return branch.replace(/[^0-9A-Za-z-]+/g, '-').replace(/^-+|-+$/g, '') || 'branch';
}

/** A commit as a pre-release identifier: an all-digit hash would be a number (and 0123 is no semver). */
export function commitId(commit: string): string {
  return /^\d+$/.test(commit) ? `g${commit}` : commit;
}

const toBuild = (entry: string | ChartBuild): ChartBuild =>
  typeof entry === 'string' ? { version: entry } : entry;

const base = (version: string) => {
  const parsed = semver.parse(version)!;
  return `${parsed.major}.${parsed.minor}.${parsed.patch}`;
};

/** The builds of a branch (`1.4.3-feature-login.1a2b3c4`) for the dev lookup: same rule as the bump. */
export function branchBuilds(entries: readonly (string | ChartBuild)[], branch: string): ChartBuild[] {
  const id = prereleaseId(branch);
  return entries.map(toBuild).filter(({ version }) => {
    if (!semver.valid(version)) return false;
    const pre = semver.prerelease(version);
    return pre !== null && String(pre[0]) === id;
  });
}

/**
 * The version to deploy when a release names none: the newest stable version, or on a dev
 * environment with a branch, the newest build from that branch: of the highest version, the one
 * pushed last (its commit hash says nothing about age), by semver when the repository has no times.
 */
export function pickChartVersion(
  entries: readonly (string | ChartBuild)[],
  branch?: string,
): string | undefined {
  if (!branch) {
    return entries
      .map(toBuild)
      .map((b) => b.version)
      .filter((version) => semver.valid(version) && semver.prerelease(version) === null)
      .sort(semver.rcompare)[0];
  }
  const builds = branchBuilds(entries, branch);
  const highest = builds.map((b) => base(b.version)).sort(semver.rcompare)[0];
  const candidates = builds.filter((b) => base(b.version) === highest);
  const time = (b: ChartBuild) => (b.created ? Date.parse(b.created) : NaN);
  if (candidates.length > 1 && candidates.every((b) => !Number.isNaN(time(b)))) {
    return [...candidates].sort((a, b) => time(b) - time(a) || semver.rcompare(a.version, b.version))[0]
      ?.version;
  }
  return candidates.map((b) => b.version).sort(semver.rcompare)[0];
}
