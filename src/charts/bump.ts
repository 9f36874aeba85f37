import semver from 'semver';
import type { BumpPlan, ChartBump, DependencyUpdate, LocalChart } from './model.js';
import { dependentsOf, type ChartGraph } from './graph.js';
import { commitId, prereleaseId } from '../plan/chart-version.js';

export type BumpLevel = 'patch' | 'minor' | 'major';

export interface BumpOptions {
  level: BumpLevel;
  /** On dev: the branch and commit become a pre-release, `1.4.3-mybranch.1a2b3c4`. */
  prerelease?: { branch: string; commit: string };
}

export function nextVersion(version: string, options: BumpOptions): string {
  const base = semver.inc(semver.coerce(version)?.version ?? version, options.level);
  if (!base) throw new Error(`cannot bump ${version}`);
  return options.prerelease
    ? `${base}-${prereleaseId(options.prerelease.branch)}.${commitId(options.prerelease.commit)}`
    : base;
}

/**
 * Pure: the changed charts, then every chart depending on a bumped one, until nothing changes
 * (a fixed point); each parent's requirement on a bumped chart follows it.
 */
export function planBumps(
  charts: readonly LocalChart[],
  graph: ChartGraph,
  changed: readonly string[],
  options: BumpOptions,
): BumpPlan {
  const byName = new Map(charts.map((chart) => [chart.name, chart]));
  const reasons = new Map<string, string>(changed.map((name) => [name, 'changed']));
  let grew = true;
  while (grew) {
    grew = false;
    for (const name of [...reasons.keys()]) {
      for (const parent of dependentsOf(graph, name)) {
        if (!reasons.has(parent)) {
          reasons.set(parent, `depends on ${name}`);
          grew = true;
        }
      }
    }
  }
  const bumps: ChartBump[] = [...reasons.entries()]
    .map(([name, reason]) => {
      const chart = byName.get(name)!;
      return {
        chart: name,
        path: chart.path,
        from: chart.version,
        to: nextVersion(chart.version, options),
        reason,
      };
    })
    .sort((a, b) => a.chart.localeCompare(b.chart));
  const newVersion = new Map(bumps.map((bump) => [bump.chart, bump.to]));
  const dependencyUpdates: DependencyUpdate[] = bumps.flatMap((bump) =>
    byName
      .get(bump.chart)!
      .dependencies.filter(
        (dependency) =>
          (graph.get(bump.chart) ?? []).includes(dependency.name) && newVersion.has(dependency.name),
      )
      .map((dependency) => ({
        parent: bump.chart,
        dependency: dependency.name,
        from: dependency.version,
        to: newVersion.get(dependency.name)!,
      })),
  );
  return { bumps, dependencyUpdates };
}
