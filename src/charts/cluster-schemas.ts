import { limiter } from '../concurrency.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getRaw, serverVersion } from '../adapters/kube.js';
import { assertKubeContexts, kubeTarget } from '../deploy/clusters.js';
import { DeployError, RegattaError, UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { cacheRoot } from '../paths.js';
import { ClusterSchemas, type OpenApiDocument } from './schema-validation.js';

interface CachedSchemas {
  serverVersion: string;
  /** Hash of the API server's /openapi/v3 index, whose URLs carry each document's content hash. */
  hash: string;
  documents: OpenApiDocument[];
}

/**
 * The OpenAPI v3 documents a cluster's own API server serves (CRDs included), fetched once and
 * cached on disk by server version and content hash; `offline` uses the cache only.
 */
export async function loadClusterSchemas(
  cluster: Cluster,
  env: NodeJS.ProcessEnv,
  offline: boolean,
): Promise<ClusterSchemas> {
  const file = join(cacheRoot(env), 'openapi', `${cluster.name}.json`);
  const cached = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CachedSchemas) : undefined;
  if (offline) {
    if (!cached)
      throw new UserError(`no cached schema for cluster ${cluster.name}`, {
        hint: 'run once without --offline',
      });
    return new ClusterSchemas(cached.documents);
  }
  assertKubeContexts([cluster]);
  try {
    return await fetchSchemas(cluster, env, file, cached);
  } catch (error) {
    if (error instanceof RegattaError) throw error;
    throw new DeployError(
      `cannot read the API schemas of cluster ${cluster.name}: ${(error as Error).message.split('\n')[0]}`,
      {
        position: cluster.position,
        hint: cached ? 'check the cluster, or pass --offline to use its cached schemas' : 'check the cluster',
      },
    );
  }
}

async function fetchSchemas(
  cluster: Cluster,
  env: NodeJS.ProcessEnv,
  file: string,
  cached: CachedSchemas | undefined,
): Promise<ClusterSchemas> {
  const target = kubeTarget(cluster);
  const index = JSON.parse(await getRaw(target, '/openapi/v3')) as {
    paths: Record<string, { serverRelativeURL: string }>;
  };
  const urls = Object.entries(index.paths)
    .filter(([path]) => path === 'api/v1' || path.startsWith('apis/'))
    .map(([, entry]) => entry.serverRelativeURL)
    .sort();
  const version = (await serverVersion(target)).gitVersion;
  const hash = createHash('sha256').update(version).update(urls.join('\n')).digest('hex');
  if (cached?.hash === hash) return new ClusterSchemas(cached.documents);
  const limit = limiter(4);
  const documents = await Promise.all(
    urls.map((url) => limit(async () => JSON.parse(await getRaw(target, url)) as OpenApiDocument)),
  );
  mkdirSync(join(cacheRoot(env), 'openapi'), { recursive: true });
  writeFileSync(file, JSON.stringify({ serverVersion: version, hash, documents } satisfies CachedSchemas));
  return new ClusterSchemas(documents);
}
