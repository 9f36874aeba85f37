import { httpRequest } from './http.js';

export interface VaultConnection {
  address: string;
  token: string;
  namespace?: string;
  /** PEM CA to trust for https. */
  ca?: string;
}

export class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly errors: string[],
  ) {
    super(`vault ${path}: HTTP ${status}${errors.length ? `: ${errors.join('; ')}` : ''}`);
    this.name = 'VaultHttpError';
  }
}

/** Vault's (and OpenBao's) HTTP API. Response bodies may hold secrets: they are never put in errors. */
export async function vaultRequest(
  connection: VaultConnection,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const headers: Record<string, string> = connection.token ? { 'X-Vault-Token': connection.token } : {};
  if (connection.namespace) headers['X-Vault-Namespace'] = connection.namespace;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await httpRequest(
    `${connection.address.replace(/\/$/, '')}/v1/${path.replace(/^\//, '')}`,
    {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );
  if (response.status === 204) return undefined;
  if (response.status < 200 || response.status >= 300) {
    let errors: string[] = [];
    try {
      errors = (JSON.parse(response.body) as { errors?: string[] }).errors ?? [];
    } catch {
      // not JSON: keep only the status
    }
    throw new VaultHttpError(response.status, path, errors);
  }
  return response.body ? JSON.parse(response.body) : undefined;
}

export interface MountInfo {
  type: string;
  options?: { version?: string } | null;
}

export async function listMounts(connection: VaultConnection): Promise<Record<string, MountInfo>> {
  const result = (await vaultRequest(connection, 'GET', 'sys/mounts')) as {
    data?: Record<string, MountInfo>;
  };
  return result.data ?? (result as Record<string, MountInfo>);
}

export async function enableKvMount(
  connection: VaultConnection,
  path: string,
  version: '1' | '2',
): Promise<void> {
  await vaultRequest(connection, 'POST', `sys/mounts/${path}`, { type: 'kv', options: { version } });
}

/** The secrets engine mount a path lives under, as Vault reports it. */
export interface MountOfPath {
  /** e.g. `kv/` or `secret/` */
  mount: string;
  type: string;
  /** KV version: '1' or '2' ('1' when the mount has no version option). */
  version: string;
}

/**
 * Finds the mount of a path: sys/internal/ui/mounts/PATH answers for any token that may use
 * the path (it is in Vault's default policy), so least-privilege tokens can resolve KV versions.
 */
export async function mountOf(connection: VaultConnection, path: string): Promise<MountOfPath> {
  const result = (await vaultRequest(
    connection,
    'GET',
    `sys/internal/ui/mounts/${path.replace(/^\/+/, '')}`,
  )) as {
    data?: { path?: string; type?: string; options?: { version?: string } | null };
  };
  return {
    mount: result.data?.path ?? '',
    type: result.data?.type ?? '',
    version: result.data?.options?.version ?? '1',
  };
}

/** The key/value data at a KV path (v1 or v2), or undefined when there is none. */
export async function readKv(
  connection: VaultConnection,
  mount: MountOfPath,
  rest: string,
): Promise<Record<string, unknown> | undefined> {
  const path = mount.version === '2' ? `${mount.mount}data/${rest}` : `${mount.mount}${rest}`;
  try {
    const result = (await vaultRequest(connection, 'GET', path)) as {
      data?: Record<string, unknown> & { data?: Record<string, unknown> };
    };
    return mount.version === '2' ? (result.data?.data ?? undefined) : result.data;
  } catch (error) {
    if (error instanceof VaultHttpError && error.status === 404) return undefined;
    throw error;
  }
}

/** AppRole login: returns a client token. The secret id travels in the request body only. */
export async function approleLogin(
  connection: Omit<VaultConnection, 'token'>,
  mount: string,
  roleId: string,
  secretId: string,
): Promise<string> {
  const result = (await vaultRequest({ ...connection, token: '' }, 'POST', `auth/${mount}/login`, {
    role_id: roleId,
    secret_id: secretId,
  })) as { auth?: { client_token?: string } };
  if (!result.auth?.client_token) throw new Error(`auth/${mount}/login returned no token`);
  return result.auth.client_token;
}
