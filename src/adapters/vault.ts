import { httpRequest } from './http.js';

export interface VaultConnection {
  address: string;
  token: string;
  namespace?: string;
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
  const headers: Record<string, string> = { 'X-Vault-Token': connection.token };
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
