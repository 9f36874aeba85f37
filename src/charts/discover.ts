import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import semver from 'semver';
import { UserError } from '../errors.js';
import { parseYamlFile } from '../config/yaml-source.js';
import type { LocalChart } from './model.js';

const SKIPPED = new Set(['node_modules', '.git', 'dist']);

function chartFolders(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && entry.name === 'Chart.yaml')) found.push(dir);
    for (const entry of entries) {
      // A chart's charts/ folder holds packaged or vendored subcharts: part of their parent.
      if (
        entry.isDirectory() &&
        !SKIPPED.has(entry.name) &&
        !entry.name.startsWith('.') &&
        !(found.at(-1) === dir && entry.name === 'charts')
      ) {
        walk(join(dir, entry.name));
      }
    }
  };
  walk(root);
  return found.sort();
}

function vendoredSubcharts(dir: string): string[] {
  if (!existsSync(join(dir, 'charts'))) return [];
  return readdirSync(join(dir, 'charts'), { withFileTypes: true }).map((entry) =>
    entry.isDirectory() ? entry.name : entry.name.replace(/-\d+\.\d+\.\d+.*\.tgz$/, ''),
  );
}

/** Every chart of a checkout, its version checked (semver) at its Chart.yaml position. */
export function discoverCharts(root: string): LocalChart[] {
  return chartFolders(root).map((dir) => {
    const file = join(dir, 'Chart.yaml');
    const [source] = parseYamlFile(file);
    const value = (source?.value ?? {}) as {
      name?: unknown;
      version?: unknown;
      dependencies?: { name: string; version: string; repository?: string }[];
    };
    if (typeof value.name !== 'string')
      throw new UserError('Chart.yaml has no name', {
        position: source?.positionOf([]) ?? { file, line: 1, col: 1 },
        hint: 'add name: (the chart folder name, usually)',
      });
    if (value.version === undefined) {
      throw new UserError(`chart ${value.name} has no version`, {
        position: source?.positionOf([]) ?? { file },
        hint: 'add version: x.y.z',
      });
    }
    // As written (YAML reads `1.0` as a number), so the message shows what the file says.
    const node = source?.document.get('version', true) as { source?: string } | undefined;
    const version = node?.source ?? String(value.version);
    if (!semver.valid(version)) {
      throw new UserError(`chart ${value.name}: version ${version} is not semver`, {
        position: source!.positionOf(['version']),
        hint: 'write MAJOR.MINOR.PATCH, e.g. 1.0.0',
      });
    }
    return {
      name: value.name,
      version,
      dir,
      path: relative(root, dir).split(sep).join('/') || '.',
      dependencies: (value.dependencies ?? []).map((d) => ({
        name: d.name,
        version: String(d.version),
        repository: d.repository,
      })),
      vendored: vendoredSubcharts(dir),
      position: source!.positionOf([]),
    };
  });
}

/** Pure: the charts owning any of the changed files (paths relative to the root). */
export function changedCharts(charts: readonly LocalChart[], files: readonly string[]): string[] {
  const owner = (file: string) =>
    charts
      .filter((chart) => chart.path === '.' || file === chart.path || file.startsWith(`${chart.path}/`))
      .sort((a, b) => b.path.length - a.path.length)[0];
  return [
    ...new Set(
      files
        .map(owner)
        .filter((chart): chart is LocalChart => !!chart)
        .map((chart) => chart.name),
    ),
  ].sort();
}
