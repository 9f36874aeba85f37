import { readdirSync, statSync, type Dirent } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { RegattaError, UserError } from '../errors.js';
import { convertLegacy, isLegacyDocument, type ConvertedRelease } from './legacy.js';
import type { Fleet } from '../model/fleet.js';
import { releaseKey, type Release, type SecretMapping } from '../model/release.js';
import { releaseSchema, secretsFileSchema } from './schemas.js';
import { validateAgainst, type PositionedSource } from './validate.js';
import { placeClusters, readRollout, type RawRollout } from './rollout.js';
import { parseYamlFile, type YamlSource } from './yaml-source.js';

interface RawRelease {
  metadata: { name: string; environment: string; branch?: string };
  spec: {
    slack_channel?: string;
    chart_name: string;
    chart_version?: string;
    chart_path?: string;
    values?: Record<string, unknown>;
    values_files?: string[];
    scaling?: { context: string; replicas: { name: string; count: number }[] }[];
    secrets?: { secret_id: string; contexts: { name: string; vaultPath: string; vaultKey: string }[] }[];
    secrets_file?: string;
    rollout?: RawRollout;
  };
}

/** Release files given as files or folders (every *.yaml / *.yml inside, not recursive into hidden ones). */
export function expandReleasePaths(paths: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let stats;
    try {
      stats = statSync(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(
        `${path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read it (${code})`}`,
        {
          position: { file: absolute },
          hint: 'pass release files or folders that exist',
        },
      );
    }
    if (!stats.isDirectory())
      files.push(absolute); // not a regular file: refused when read
    else {
      let entries: Dirent[];
      try {
        entries = readdirSync(absolute, { recursive: true, withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UserError(
          `cannot list the folder${code === 'EACCES' || code === 'EPERM' ? ' (permission denied)' : ` (${code})`}`,
          { position: { file: absolute }, hint: 'check its permissions (and those of its subfolders)' },
        );
      }
      for (const entry of entries) {
        const full = join(entry.parentPath, entry.name);
        if (
          entry.isFile() &&
          /\.ya?ml$/.test(entry.name) &&
          !full.split('/').some((part) => part.startsWith('.'))
        ) {
          files.push(full);
        }
      }
    }
  }
  return files.sort();
}

type RawSecrets = NonNullable<RawRelease['spec']['secrets']>;

function secretMappings(
  source: PositionedSource,
  list: RawSecrets,
  basePath: (string | number)[],
  seen: Set<string>,
): SecretMapping[] {
  return list.map((secret, index) => {
    if (seen.has(secret.secret_id)) {
      throw new UserError(`secret_id ${secret.secret_id} is used twice in this release`, {
        position: source.positionOf([...basePath, index, 'secret_id']),
        hint: 'give each secret its own secret_id',
      });
    }
    seen.add(secret.secret_id);
    return {
      secretId: secret.secret_id,
      position: source.positionOf([...basePath, index]),
      contexts: secret.contexts.map((context, contextIndex) => ({
        ...context,
        position: source.positionOf([...basePath, index, 'contexts', contextIndex, 'name']),
      })),
    };
  });
}

/** The release's own secrets, then those of its standalone secrets_file. */
function releaseSecrets(source: PositionedSource, raw: RawRelease): SecretMapping[] {
  const seen = new Set<string>();
  const own = secretMappings(source, raw.spec.secrets ?? [], ['spec', 'secrets'], seen);
  if (!raw.spec.secrets_file) return own;
  const [secretsSource] = parseReferencedFile(source, ['spec', 'secrets_file'], raw.spec.secrets_file);
  if (!secretsSource) {
    throw new UserError(`secrets_file ${raw.spec.secrets_file} is empty`, {
      position: source.positionOf(['spec', 'secrets_file']),
      hint: 'give it a top-level secrets: list, or remove secrets_file',
    });
  }
  validateAgainst(secretsFileSchema, secretsSource, 'the secrets file');
  const list = (secretsSource.value as { secrets: RawSecrets }).secrets;
  return [...own, ...secretMappings(secretsSource, list, ['secrets'], seen)];
}

/**
 * A file the release refers to (values_files, secrets_file), parsed. A file that cannot be read
 * is an error at the release's key; a mistake inside the file, at its own line.
 */
function parseReferencedFile(source: PositionedSource, key: (string | number)[], path: string): YamlSource[] {
  const file = resolve(dirname(source.file), path);
  try {
    return parseYamlFile(file);
  } catch (error) {
    if (error instanceof RegattaError && error.position?.line === undefined) {
      throw new UserError(`${describeKey(key)} ${path}: ${error.message}`, {
        position: source.positionOf(key),
        hint: error.hint ?? 'check the path (relative to this file)',
      });
    }
    throw error;
  }
}

const describeKey = (key: readonly (string | number)[]) =>
  key
    .slice(1)
    .map((part) => (typeof part === 'number' ? `[${part}]` : part))
    .join('')
    .replace(/^(\w+)(?=\[)/, '$1');

/** Every values file must be readable YAML holding a map: checked when the release is read. */
function checkValuesFiles(source: PositionedSource, raw: RawRelease): void {
  (raw.spec.values_files ?? []).forEach((path, index) => {
    const [document] = parseReferencedFile(source, ['spec', 'values_files', index], path);
    const value: unknown = document?.value ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`values_files[${index}] ${path} must hold a map of values`, {
        position: document?.positionOf([]) ?? source.positionOf(['spec', 'values_files', index]),
        hint: 'write values as key: value at the top level',
      });
    }
  });
}

/** chart_path must be a chart folder: a Chart.yaml inside. */
function checkChartPath(source: PositionedSource, raw: RawRelease): void {
  if (!raw.spec.chart_path) return;
  const dir = resolve(dirname(source.file), raw.spec.chart_path);
  let isChart = false;
  try {
    isChart = statSync(dir).isDirectory() && statSync(join(dir, 'Chart.yaml')).isFile();
  } catch {
    isChart = false;
  }
  if (!isChart) {
    throw new UserError(
      `chart_path ${raw.spec.chart_path} is no chart folder (no ${relative(dirname(source.file), join(dir, 'Chart.yaml'))})`,
      {
        position: source.positionOf(['spec', 'chart_path']),
        hint: 'point it at the folder holding Chart.yaml, relative to this file',
      },
    );
  }
}

/** A release document that passed the schema becomes a Release; checks against the fleet follow. */
function toRelease(source: PositionedSource, fleet: Fleet): Release {
  const raw = source.value as RawRelease;
  const [name, namespace = 'default'] = raw.metadata.name.split('.') as [string, string?];
  const environment = fleet.environments[raw.metadata.environment];
  if (!environment) {
    throw new UserError(`unknown environment "${raw.metadata.environment}"`, {
      position: source.positionOf(['metadata', 'environment']),
      hint: `the fleet file has: ${Object.keys(fleet.environments).join(', ')}`,
    });
  }
  if (!raw.spec.chart_path && !environment.chartRepository) {
    throw new UserError(
      `chart ${raw.spec.chart_name} comes from the chart repository of environment ${environment.name}, which has none`,
      {
        position: source.positionOf(['spec', 'chart_name']),
        hint: `set environments.${environment.name}.chartRepository in the fleet file, or spec.chart_path here`,
      },
    );
  }
  checkChartPath(source, raw);
  checkValuesFiles(source, raw);
  const envClusters = new Set(fleet.clusters.filter((c) => c.env === environment.name).map((c) => c.name));
  const scaling = (raw.spec.scaling ?? []).map((entry, index) => {
    if (!envClusters.has(entry.context)) {
      throw new UserError(
        `scaling context ${entry.context} is not a cluster of environment ${environment.name}`,
        {
          position: source.positionOf(['spec', 'scaling', index, 'context']),
          hint: `clusters of ${environment.name}: ${[...envClusters].join(', ') || 'none'}`,
        },
      );
    }
    return {
      cluster: entry.context,
      replicas: entry.replicas,
      position: source.positionOf(['spec', 'scaling', index]),
    };
  });
  const secrets = releaseSecrets(source, raw);
  for (const secret of secrets) {
    for (const context of secret.contexts) {
      if (context.name !== 'default' && !envClusters.has(context.name)) {
        throw new UserError(
          `secret ${secret.secretId}: context ${context.name} is not a cluster of environment ${environment.name}`,
          {
            position: context.position,
            hint: `name a cluster of ${environment.name} or default: ${[...envClusters].join(', ') || 'none'}`,
          },
        );
      }
    }
  }
  const folder = dirname(source.file);
  const rollout = raw.spec.rollout ? readRollout(raw.spec.rollout, source, ['spec', 'rollout']) : undefined;
  if (rollout)
    placeClusters(
      rollout,
      fleet.clusters.filter((c) => c.env === environment.name),
      environment.name,
    );
  return {
    file: source.file,
    position: source.positionOf([]),
    name,
    namespace,
    environment: environment.name,
    branch: raw.metadata.branch,
    slackChannel: raw.spec.slack_channel,
    chart: {
      name: raw.spec.chart_name,
      version: raw.spec.chart_version,
      path: raw.spec.chart_path ? resolve(folder, raw.spec.chart_path) : undefined,
    },
    values: raw.spec.values ?? {},
    valuesFiles: (raw.spec.values_files ?? []).map((file) => resolve(folder, file)),
    scaling,
    secrets,
    ...(rollout ? { rollout } : {}),
  };
}

/** A release converted from the old format, checked like any other, at its lines in the old file. */
export function checkConverted(converted: ConvertedRelease, fleet: Fleet): Release {
  validateAgainst(releaseSchema, converted, 'the old-format release');
  return toRelease(converted, fleet);
}

function isReleaseDocument(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/** Loads every release document of the given files (old-format files too), checked against the schema and the fleet. */
export function loadReleases(files: readonly string[], fleet: Fleet): Release[] {
  const releases: Release[] = [];
  const byKey = new Map<string, Release>();
  const add = (release: Release) => {
    const key = `${releaseKey(release)}@${release.environment}`;
    const earlier = byKey.get(key);
    if (earlier) {
      const at = earlier.position;
      throw new UserError(
        `release ${release.name} in namespace ${release.namespace} is defined twice (also at ${at.file}:${at.line}:${at.col})`,
        { position: release.position, hint: 'keep one of the two, or give one another name or namespace' },
      );
    }
    byKey.set(key, release);
    releases.push(release);
  };
  for (const file of files) {
    const sources = parseYamlFile(file);
    if (sources.length === 0) {
      throw new UserError('this release file holds no release (it is empty, or only comments)', {
        position: { file, line: 1, col: 1 },
        hint: 'write a release in it, or remove the file',
      });
    }
    for (const source of sources) {
      if (isLegacyDocument(source.value)) {
        for (const converted of convertLegacy(source, fleet)) add(checkConverted(converted, fleet));
        continue;
      }
      if (!isReleaseDocument(source.value)) {
        throw new UserError('not a release document (no kind, and no `releases:` list of the old format)', {
          position: source.positionOf([]),
          hint: 'start it with apiVersion: regatta/v1 and kind: Release (see regatta schema release)',
        });
      }
      validateAgainst(releaseSchema, source, 'the release file');
      add(toRelease(source, fleet));
    }
  }
  return releases;
}
