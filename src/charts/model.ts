import type { SourcePosition } from '../errors.js';

export interface ChartDependency {
  name: string;
  version: string;
  repository?: string;
}

/** A chart folder of the repository (any folder with a Chart.yaml). */
export interface LocalChart {
  name: string;
  version: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the repository root, with '/' separators. */
  path: string;
  dependencies: ChartDependency[];
  /** Subcharts shipped inside the chart's own charts/ folder (folders or .tgz). */
  vendored: string[];
  position: SourcePosition;
}

/** One chart version change, and why. */
export interface ChartBump {
  chart: string;
  path: string;
  from: string;
  to: string;
  /** `changed`, or the bumped dependency that made a parent move. */
  reason: string;
}

/** A parent's requirement on a bumped local chart, rewritten to the new version. */
export interface DependencyUpdate {
  parent: string;
  dependency: string;
  from: string;
  to: string;
}

export interface BumpPlan {
  bumps: ChartBump[];
  dependencyUpdates: DependencyUpdate[];
}
