import {
  approleLogin,
  mountOf,
  readKv,
  VaultHttpError,
  type MountOfPath,
  type VaultConnection,
} from '../adapters/vault.js';
import { readInputText } from '../config/read-input.js';
import { UserError } from '../errors.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { Release, SecretSource } from '../model/release.js';
import { normalizeVaultPath, requireSecretSource } from '../plan/secrets.js';
import { registerSecretValue } from '../report/redact.js';
import { Secret } from '../values/secret.js';

function readSecretFile(file: string, what: string, key: string, fleet: Fleet): string {
  try {
    return readInputText(file).trim();
  } catch (error) {
    // Never the file's content: only why it could not be read, at the fleet file's key.
    throw new UserError(`${key}: the ${what} file ${file}: ${(error as Error).message}`, {
      position: { file: fleet.file },
      hint: `fix vault.${key} in the fleet file, or the file's permissions`,
    });
  }
}

/** A Vault connection from the fleet file's vault section and VAULT_* variables, logged in. */
export async function connectVault(fleet: Fleet, env: NodeJS.ProcessEnv): Promise<VaultConnection> {
  const settings = fleet.vault;
  const address = settings.address ?? env.VAULT_ADDR;
  if (!address)
    throw new UserError('no Vault address', { hint: 'set vault.address in the fleet file, or VAULT_ADDR' });
  const base = {
    address,
    namespace: settings.namespace ?? env.VAULT_NAMESPACE,
    ca: settings.caFile ? readSecretFile(settings.caFile, 'Vault CA', 'caFile', fleet) : undefined,
  };
  const auth = settings.auth;
  if (auth.kind === 'approle') {
    const secretId = auth.secretIdFile
      ? readSecretFile(auth.secretIdFile, 'AppRole secret id', 'auth.approle.secretIdFile', fleet)
      : auth.secretIdEnv
        ? env[auth.secretIdEnv]
        : undefined;
    if (!secretId) {
      throw new UserError('no AppRole secret id', {
        hint: 'set vault.auth.approle.secretIdEnv (and that variable) or secretIdFile',
      });
    }
    registerSecretValue(secretId);
    try {
      const token = await approleLogin(base, auth.mount, auth.roleId, secretId);
      registerSecretValue(token);
      return { ...base, token };
    } catch (error) {
      throw new UserError(
        `Vault AppRole login at ${address} (auth/${auth.mount}) failed: ${describeVaultError(error)}`,
        { hint: 'check vault.auth.approle (roleId, mount) in the fleet file and the secret id it reads' },
      );
    }
  }
  const token = auth.file
    ? readSecretFile(auth.file, 'Vault token', 'auth.token.file', fleet)
    : env[auth.env ?? 'VAULT_TOKEN'];
  if (!token)
    throw new UserError('no Vault token', {
      hint: `set ${auth.env ?? 'VAULT_TOKEN'}, or vault.auth in the fleet file`,
    });
  registerSecretValue(token);
  return { ...base, token };
}

function describeVaultError(error: unknown): string {
  if (error instanceof VaultHttpError) {
    if (error.status === 403) return 'permission denied';
    if (error.status === 404) return 'not found';
    return `HTTP ${error.status}`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `Vault unreachable (${code})` : (error as Error).message;
}

/** One secret for one target, as mapped: used for errors and `secrets check`. */
export interface SecretRequest {
  release: Release;
  cluster: string;
  secretId: string;
  source: SecretSource;
}

export function secretRequests(
  targets: readonly { release: Release; clusters: readonly Cluster[] }[],
): SecretRequest[] {
  return targets.flatMap(({ release, clusters }) =>
    clusters.flatMap((cluster) =>
      release.secrets.map((mapping) => ({
        release,
        cluster: cluster.name,
        secretId: mapping.secretId,
        source: requireSecretSource(mapping, cluster.name),
      })),
    ),
  );
}

export type SecretOutcome = { ok: true; value: Secret } | { ok: false; reason: string };

/**
 * Reads every requested secret, each distinct Vault path once, before anything is deployed.
 * Values are registered for redaction as soon as they are read.
 */
export async function readSecrets(
  connection: VaultConnection,
  requests: readonly SecretRequest[],
): Promise<Map<SecretRequest, SecretOutcome>> {
  const paths = new Map<string, Promise<{ mount: MountOfPath; data?: Record<string, unknown> }>>();
  const readPath = (path: string) => {
    let pending = paths.get(path);
    if (!pending) {
      pending = (async () => {
        const mount = await mountOf(connection, path);
        if (!mount.mount || mount.type !== 'kv')
          throw new Error(mount.mount ? `not a KV mount (${mount.type})` : 'no such mount');
        const rest = path.slice(mount.mount.length);
        return { mount, data: await readKv(connection, mount, rest) };
      })();
      paths.set(path, pending);
    }
    return pending;
  };
  const outcomes = new Map<SecretRequest, SecretOutcome>();
  await Promise.all(
    requests.map(async (request) => {
      const path = normalizeVaultPath(request.source.vaultPath);
      try {
        const { data } = await readPath(path);
        if (!data) return outcomes.set(request, { ok: false, reason: 'no such path' });
        const value = data[request.source.vaultKey];
        if (value === undefined) return outcomes.set(request, { ok: false, reason: 'no such key' });
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        registerSecretValue(text);
        outcomes.set(request, { ok: true, value: new Secret(text) });
      } catch (error) {
        outcomes.set(request, { ok: false, reason: describeVaultError(error) });
      }
    }),
  );
  return outcomes;
}

/** All secrets of all targets, or a UserError naming the first that failed (never a value). */
export async function resolveSecrets(
  fleet: Fleet,
  targets: readonly { release: Release; clusters: readonly Cluster[] }[],
  env: NodeJS.ProcessEnv,
): Promise<(release: Release, cluster: Cluster) => Record<string, Secret>> {
  const requests = secretRequests(targets);
  if (requests.length === 0) return () => ({});
  const connection = await connectVault(fleet, env);
  const outcomes = await readSecrets(connection, requests);
  const failed = requests.find((request) => !outcomes.get(request)?.ok);
  if (failed) {
    const outcome = outcomes.get(failed) as { ok: false; reason: string };
    throw new UserError(
      `secret ${failed.secretId} for cluster ${failed.cluster}: ${failed.source.vaultPath} key ${failed.source.vaultKey}: ${outcome.reason}; nothing was deployed`,
      {
        position: failed.source.position,
        hint:
          outcome.reason === 'no such key' || outcome.reason === 'no such path'
            ? 'write the secret to Vault, or fix vaultPath/vaultKey here (regatta secrets check lists them all)'
            : 'check the Vault token and its policy (regatta secrets policy writes one)',
      },
    );
  }
  return (release, cluster) =>
    Object.fromEntries(
      requests
        .filter((r) => r.release === release && r.cluster === cluster.name)
        .map((r) => [r.secretId, (outcomes.get(r) as { ok: true; value: Secret }).value]),
    );
}
