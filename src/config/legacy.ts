import { UserError } from '../errors.js';
import type { Fleet } from '../model/fleet.js';
import type { PositionedSource } from './validate.js';
import { describePath } from './validate.js';
import type { YamlSource } from './yaml-source.js';

/** A release document converted from the seed's old format, with where it came from. */
export interface ConvertedRelease extends PositionedSource {
  /** Suggested file name for `regatta migrate`. */
  fileName: string;
  /** A regatta/v1 Release document. */
  document: {
    apiVersion: 'regatta/v1';
    kind: 'Release';
    metadata: Record<string, string>;
    spec: Record<string, unknown>;
  };
  /** Comment for the migrated file (the service's git repository). */
  comment?: string;
  /** The converted document's path in the old file's words (`foo.world.services.bar.contexts…`). */
  describe(path: readonly (string | number)[]): string;
}

export function isLegacyDocument(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { releases?: unknown }).releases)
  );
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Path = (string | number)[];

/** The old file's shape, checked before converting: every mistake at its own line. */
function expectMap(source: YamlSource, path: Path, what: string, example: string): Record<string, unknown> {
  const value = getIn(source.value, path);
  if (!isMap(value)) {
    throw new UserError(`${describePath(path)} must be a map (${what}), not ${describeValue(value)}`, {
      position: source.positionOf(path),
      hint: `write it like ${example}`,
    });
  }
  return value;
}

function getIn(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (current, part) => (current as Record<string | number, unknown> | undefined)?.[part],
    value,
  );
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : JSON.stringify(value);
}

/**
 * The seed's old format (a `releases:` list, each an umbrella of services with per-context
 * replica counts) → one release per service and environment, no umbrella. `foo.world` gives
 * the namespace (`world`); the environment comes from the fleet's clusters of each context.
 * The result is checked against the release schema by the caller, with positions in the old file.
 */
export function convertLegacy(source: YamlSource, fleet: Fleet): ConvertedRelease[] {
  const root = source.value as Record<string, unknown> & { releases: unknown[] };
  const converted: ConvertedRelease[] = [];
  root.releases.forEach((entry, index) => {
    if (typeof entry !== 'string' || entry === '') {
      throw new UserError(`releases[${index}] must be the name of a release, not ${describeValue(entry)}`, {
        position: source.positionOf(['releases', index]),
        hint: 'list names like foo.world, each described by a top-level key of that name',
      });
    }
    const umbrella = entry;
    const namespace = umbrella.includes('.') ? umbrella.split('.').slice(1).join('-') : 'default';
    if (!DNS_LABEL.test(namespace)) {
      throw new UserError(
        `release ${umbrella}: its namespace ${namespace} must be lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`,
        {
          position: source.positionOf(['releases', index]),
          hint: `rename it, e.g. ${umbrella.toLowerCase()}`,
        },
      );
    }
    if (root[umbrella] === undefined) {
      throw new UserError(`release ${umbrella} is listed but not described`, {
        position: source.positionOf(['releases', index]),
        hint: `add a top-level key ${umbrella}: with its services:`,
      });
    }
    const body = expectMap(source, [umbrella], 'with services:', `${umbrella}: { services: { … } }`);
    const services = expectMap(
      source,
      [umbrella, 'services'],
      'service name → chart_name and contexts',
      'services: { web: { chart_name: web, contexts: { … } } }',
    );
    void body;
    for (const service of Object.keys(services)) {
      const servicePath = [umbrella, 'services', service];
      const definition = expectMap(
        source,
        servicePath,
        'chart_name and contexts',
        `${service}: { chart_name: ${service}, contexts: { … } }`,
      );
      if (definition.chart_name === undefined || definition.chart_name === null) {
        throw new UserError(`service ${service} has no chart_name`, {
          position: source.keyPositionOf(servicePath),
          hint: `add chart_name: under ${service}`,
        });
      }
      const contexts =
        definition.contexts === undefined
          ? {}
          : expectMap(
              source,
              [...servicePath, 'contexts'],
              'cluster name → deployments',
              'contexts: { prod-europe-west1: { deployments: [{ name: web, replicas: 3 }] } }',
            );
      const byEnv = new Map<string, { contexts: string[]; scaling: unknown[] }>();
      for (const [context, settings] of Object.entries(contexts)) {
        const cluster = fleet.clusters.find((candidate) => candidate.name === context);
        if (!cluster) {
          throw new UserError(`context ${context} is no cluster of the fleet`, {
            position: source.keyPositionOf([...servicePath, 'contexts', context]),
            hint: 'add it to the fleet file or remove it',
          });
        }
        const contextPath = [...servicePath, 'contexts', context];
        if (settings !== null && !isMap(settings)) {
          throw new UserError(
            `contexts.${context} must be a map with deployments:, not ${describeValue(settings)}`,
            {
              position: source.positionOf(contextPath),
              hint: 'write it like { deployments: [{ name: web, replicas: 3 }] }',
            },
          );
        }
        const deployments = settings?.deployments ?? [];
        if (!Array.isArray(deployments)) {
          throw new UserError(
            `contexts.${context}.deployments must be a list of { name, replicas }, not ${describeValue(deployments)}`,
            {
              position: source.positionOf([...contextPath, 'deployments']),
              hint: 'write each deployment as a list item: - { name: web, replicas: 3 }',
            },
          );
        }
        const entry = byEnv.get(cluster.env) ?? { contexts: [], scaling: [] };
        entry.contexts.push(context);
        entry.scaling.push({
          context,
          replicas: deployments.map((d: unknown) =>
            isMap(d) ? { name: d.name, count: d.replicas } : { name: undefined, count: undefined },
          ),
        });
        byEnv.set(cluster.env, entry);
      }
      if (byEnv.size === 0)
        throw new UserError(`service ${service} has no contexts`, {
          position: source.keyPositionOf(servicePath),
          hint: 'add contexts: with the clusters it runs in',
        });
      for (const [environment, { contexts: names, scaling }] of byEnv) {
        // The converted document's paths, in the old file.
        const oldPath = (path: readonly (string | number)[]): { path: Path; key: boolean } => {
          if (path[0] === 'metadata')
            return path[1] === 'environment'
              ? { path: [...servicePath, 'contexts'], key: true }
              : { path: servicePath, key: true };
          if (path[0] !== 'spec') return { path: servicePath, key: true };
          if (path[1] === 'chart_name') return { path: [...servicePath, 'chart_name'], key: false };
          if (path[1] !== 'scaling' || typeof path[2] !== 'number') return { path: servicePath, key: true };
          const contextPath = [...servicePath, 'contexts', names[path[2]] ?? ''];
          if (path[3] !== 'replicas') return { path: contextPath, key: true };
          if (typeof path[4] !== 'number') return { path: [...contextPath, 'deployments'], key: false };
          const item = [...contextPath, 'deployments', path[4]];
          if (path[5] === 'name') return { path: [...item, 'name'], key: false };
          if (path[5] === 'count') return { path: [...item, 'replicas'], key: false };
          return { path: item, key: false };
        };
        const position = (path: readonly (string | number)[]) => {
          const old = oldPath(path);
          return old.key ? source.keyPositionOf(old.path) : source.positionOf(old.path);
        };
        const document = {
          apiVersion: 'regatta/v1' as const,
          kind: 'Release' as const,
          metadata: { name: `${service}.${namespace}`, environment },
          spec: { chart_name: definition.chart_name, scaling },
        };
        converted.push({
          fileName: byEnv.size > 1 ? `${service}-${environment}.yaml` : `${service}.yaml`,
          document,
          value: document,
          comment:
            typeof definition.repo === 'string'
              ? `Converted from ${umbrella} (${definition.repo}) by regatta migrate.`
              : `Converted from ${umbrella} by regatta migrate.`,
          file: source.file,
          positionOf: position,
          keyPositionOf: position,
          describe: (path) => {
            const old = oldPath(path);
            return path.length > 0 && path[0] === 'metadata' && path[1] === 'name'
              ? `service name ${service} (release ${service}.${namespace})`
              : describePath(old.path);
          },
        });
      }
    }
  });
  return converted;
}
