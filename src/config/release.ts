import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError, type SourcePosition } from '../errors.js';
import { convertLegacy, isLegacyDocument } from './legacy.js';
import type { Fleet } from '../model/fleet.js';
import { releaseKey, type Release, type SecretMapping } from '../model/release.js';
import { releaseSchema, secretsFileSchema } from './schemas.js';
import { validateAgainst } from './validate.js';
import { placeClusters, readRollout, type RawRollout } from './rollout.js';
import { parseYamlFile } from './yaml-source.js';

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
    } catch {
      throw new UserError(`${path}: no such file or folder`);
    }
    if (stats.isFile()) files.push(absolute);
    else {
      for (const entry of readdirSync(absolute, { recursive: true, withFileTypes: true })) {
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
  source: ReleaseSource,
  list: RawSecrets,
  basePath: (string | number)[],
  seen: Set<string>,
): SecretMapping[] {
  return list.map((secret, index) => {
    if (seen.has(secret.secret_id)) {
      throw new UserError(`secret_id ${secret.secret_id} is used twice in this release`, {
        position: source.positionOf([...basePath, index, 'secret_id']),
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
function releaseSecrets(source: ReleaseSource, raw: RawRelease): SecretMapping[] {
  const seen = new Set<string>();
  const own = secretMappings(source, raw.spec.secrets ?? [], ['spec', 'secrets'], seen);
  if (!raw.spec.secrets_file) return own;
  const file = resolve(dirname(source.file), raw.spec.secrets_file);
  const [secretsSource] = parseYamlFile(file);
  if (!secretsSource)
    throw new UserError('the secrets file is empty', { position: { file, line: 1, col: 1 } });
  validateAgainst(secretsFileSchema, secretsSource, 'the secrets file');
  const list = (secretsSource.value as { secrets: RawSecrets }).secrets;
  return [...own, ...secretMappings(secretsSource, list, ['secrets'], seen)];
}

/** Where a release document's values came from (a YAML file, or a converted old-format file). */
interface ReleaseSource {
  file: string;
  value: unknown;
  positionOf(path: readonly (string | number)[]): SourcePosition;
}

/** A release document that passed the schema becomes a Release; checks against the fleet follow. */
function toRelease(source: ReleaseSource, fleet: Fleet): Release {
  const raw = source.value as RawRelease;
  const [name, namespace = 'default'] = raw.metadata.name.split('.') as [string, string?];
  const environment = fleet.environments[raw.metadata.environment];
  if (!environment) {
    throw new UserError(`unknown environment "${raw.metadata.environment}"`, {
      position: source.positionOf(['metadata', 'environment']),
      hint: `the fleet file has: ${Object.keys(fleet.environments).join(', ')}`,
    });
  }
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
        { position: release.position },
      );
    }
    byKey.set(key, release);
    releases.push(release);
  };
  for (const file of files) {
    for (const source of parseYamlFile(file)) {
      if (isLegacyDocument(source.value)) {
        for (const converted of convertLegacy(source, fleet)) {
          add(
            toRelease(
              { file: converted.file, value: converted.document, positionOf: converted.positionOf },
              fleet,
            ),
          );
        }
        continue;
      }
      if (!isReleaseDocument(source.value)) {
        throw new UserError('not a release document (no kind, and no `releases:` list of the old format)', {
          position: source.positionOf([]),
        });
      }
      validateAgainst(releaseSchema, source, 'the release file');
      add(toRelease(source, fleet));
    }
  }
  return releases;
}
