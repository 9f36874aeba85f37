import { UserError } from '../errors.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';

/** What the user narrowed a command to: --env, --cluster (repeatable), -l key=value. */
export interface Selection {
  env?: string;
  clusters: string[];
  labels: Record<string, string>;
}

export function parseLabelSelectors(selectors: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const selector of selectors) {
    for (const part of selector.split(',')) {
      const match = /^([^=\s]+)=([^=\s]*)$/.exec(part.trim());
      if (!match) throw new UserError(`-l ${selector}: expected key=value`);
      labels[match[1] as string] = match[2] as string;
    }
  }
  return labels;
}

export function checkSelection(fleet: Fleet, selection: Selection): void {
  if (selection.env && !fleet.environments[selection.env]) {
    throw new UserError(`unknown environment ${selection.env}`, {
      hint: `the fleet file has: ${Object.keys(fleet.environments).join(', ')}`,
    });
  }
  for (const name of selection.clusters) {
    if (!fleet.clusters.some((cluster) => cluster.name === name)) {
      throw new UserError(`unknown cluster ${name}`, {
        hint: `the fleet file has: ${fleet.clusters.map((c) => c.name).join(', ')}`,
      });
    }
  }
}

function matches(cluster: Cluster, selection: Selection): boolean {
  if (selection.clusters.length > 0 && !selection.clusters.includes(cluster.name)) return false;
  return Object.entries(selection.labels).every(([key, value]) => cluster.labels[key] === value);
}

/** The clusters of an environment that the selection keeps. */
export function selectEnvironmentClusters(
  fleet: Fleet,
  environment: string,
  selection: Selection,
): Cluster[] {
  return fleet.clusters.filter((cluster) => cluster.env === environment && matches(cluster, selection));
}

/** Releases the selection keeps (by --env), each with its selected clusters. */
export function selectTargets(
  fleet: Fleet,
  releases: readonly Release[],
  selection: Selection,
): { release: Release; clusters: Cluster[] }[] {
  return releases
    .filter((release) => !selection.env || release.environment === selection.env)
    .map((release) => ({
      release,
      clusters: selectEnvironmentClusters(fleet, release.environment, selection),
    }))
    .filter((entry) => entry.clusters.length > 0);
}
