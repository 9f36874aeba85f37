import { parse } from 'yaml';
import type { ChartRepository } from '../model/fleet.js';
import { UserError } from '../errors.js';
import { registerSecretValue } from '../report/redact.js';
import { httpRequest } from './http.js';
import { branchBuilds, type ChartBuild } from '../plan/chart-version.js';

export class ChartRepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartRepositoryError';
  }
}

/** The Authorization header for a repository with basic auth; the password comes from the environment. */
function authHeaders(repository: ChartRepository): Record<string, string> {
  if (!repository.basicAuth) return {};
  const password = process.env[repository.basicAuth.passwordEnv];
  if (password === undefined) {
    throw new UserError(
      `${repository.url} needs a password in ${repository.basicAuth.passwordEnv}, which is not set`,
      {
        hint: `export ${repository.basicAuth.passwordEnv}, or fix chartRepository.passwordEnv in the fleet file`,
      },
    );
  }
  registerSecretValue(password);
  const credentials = Buffer.from(`${repository.basicAuth.username}:${password}`).toString('base64');
  return { Authorization: `Basic ${credentials}` };
}

/** Every version of a chart in a repository: a Helm HTTP repository's index.yaml, or an OCI tag list. */
export async function listChartVersions(repository: ChartRepository, chart: string): Promise<string[]> {
  if (repository.type === 'oci') {
    const [host, ...path] = repository.url.replace(/^oci:\/\//, '').split('/');
    const scheme = repository.plainHttp ? 'http' : 'https';
    const response = await httpRequest(`${scheme}://${host}/v2/${[...path, chart].join('/')}/tags/list`);
    if (response.status === 404) return [];
    if (response.status !== 200)
      throw new ChartRepositoryError(`${repository.url}: HTTP ${response.status} listing ${chart}`);
    // OCI tags cannot hold '+': Helm writes build metadata with '_'.
    return ((JSON.parse(response.body) as { tags?: string[] }).tags ?? []).map((tag) =>
      tag.replace(/_/g, '+'),
    );
  }
  return ((await readIndex(repository)).entries?.[chart] ?? []).map((entry) => entry.version);
}

interface RepositoryIndex {
  entries?: Record<string, { version: string; urls?: string[]; created?: string }[]>;
}

/**
 * The builds of a chart from one branch with when each was pushed, for picking the newest:
 * ChartMuseum's index says `created`; an OCI registry, each manifest's
 * `org.opencontainers.image.created` annotation (asked only for the branch's builds).
 */
export async function listBranchBuilds(
  repository: ChartRepository,
  chart: string,
  branch: string,
): Promise<ChartBuild[]> {
  if (repository.type !== 'oci') {
    const entries = (await readIndex(repository)).entries?.[chart] ?? [];
    return branchBuilds(
      entries.map((entry) => ({ version: entry.version, created: entry.created })),
      branch,
    );
  }
  const builds = branchBuilds(await listChartVersions(repository, chart), branch);
  const [host, ...path] = repository.url.replace(/^oci:\/\//, '').split('/');
  const scheme = repository.plainHttp ? 'http' : 'https';
  return Promise.all(
    builds.map(async (build) => {
      const response = await httpRequest(
        `${scheme}://${host}/v2/${[...path, chart].join('/')}/manifests/${build.version.replace(/\+/g, '_')}`,
        { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } },
      );
      if (response.status !== 200) return build;
      try {
        const manifest = JSON.parse(response.body) as { annotations?: Record<string, string> };
        return { ...build, created: manifest.annotations?.['org.opencontainers.image.created'] };
      } catch {
        return build; // no time: semver order decides
      }
    }),
  );
}

/** A Helm HTTP repository's index.yaml, read once per repository for the life of the process. */
const indexes = new Map<string, Promise<RepositoryIndex>>();
function readIndex(repository: ChartRepository): Promise<RepositoryIndex> {
  let index = indexes.get(repository.url);
  if (!index) {
    index = (async () => {
      const response = await httpRequest(`${repository.url}/index.yaml`, {
        headers: authHeaders(repository),
      });
      if (response.status !== 200)
        throw new ChartRepositoryError(`${repository.url}/index.yaml: HTTP ${response.status}`);
      return parse(response.body) as RepositoryIndex;
    })();
    indexes.set(repository.url, index);
    index.catch(() => indexes.delete(repository.url));
  }
  return index;
}

/**
 * One chart archive from a Helm HTTP repository: the version's URL from index.yaml, fetched with
 * the repository's basic auth (sent only to the repository's own origin).
 */
export async function downloadChart(
  repository: ChartRepository,
  chart: string,
  version: string,
): Promise<Buffer> {
  const entry = (await readIndex(repository)).entries?.[chart]?.find((e) => e.version === version);
  const location = entry?.urls?.[0];
  if (!location)
    throw new ChartRepositoryError(`chart ${chart} ${version} is not in ${repository.url}/index.yaml`);
  const base = new URL(repository.url.endsWith('/') ? repository.url : `${repository.url}/`);
  const url = new URL(location, base);
  const response = await httpRequest(url.href, {
    headers: url.origin === base.origin ? authHeaders(repository) : {},
    timeoutMs: 60_000,
  });
  if (response.status !== 200)
    throw new ChartRepositoryError(`${url.href}: HTTP ${response.status} downloading ${chart} ${version}`);
  return response.bytes;
}

/** Uploads a packaged chart through ChartMuseum's API. */
export async function uploadToChartMuseum(
  repository: ChartRepository,
  tgz: Buffer,
  force: boolean,
): Promise<void> {
  const response = await httpRequest(`${repository.url}/api/charts${force ? '?force=true' : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/gzip', ...authHeaders(repository) },
    body: tgz,
    timeoutMs: 60_000,
  });
  if (response.status !== 201) {
    throw new ChartRepositoryError(
      `${repository.url}: upload answered HTTP ${response.status}: ${response.body.trim()}`,
    );
  }
}
