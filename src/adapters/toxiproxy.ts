import { httpRequest, type HttpResponse } from './http.js';

/** One toxiproxy-server's HTTP API, e.g. http://127.0.0.1:8474. */
export interface ToxiproxyApi {
  url: string;
}

/** A TCP proxy: toxiproxy listens on `listen` and dials `upstream` for each connection it accepts. */
export interface ProxySpec {
  name: string;
  /** host:port */
  listen: string;
  /** host:port */
  upstream: string;
}

/** A toxic as toxiproxy's API takes and returns it. */
export interface Toxic {
  name: string;
  /** latency, bandwidth, timeout, reset_peer, ... */
  type: string;
  /** upstream = client → server, downstream = server → client. */
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

export class ToxiproxyError extends Error {
  constructor(what: string, response: HttpResponse) {
    let reason = response.body.trim();
    try {
      reason = (JSON.parse(response.body) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: keep the text
    }
    super(`toxiproxy: ${what}: HTTP ${response.status} ${reason}`);
    this.name = 'ToxiproxyError';
  }
}

async function call(
  api: ToxiproxyApi,
  method: string,
  path: string,
  what: string,
  body?: unknown,
): Promise<HttpResponse> {
  const response = await httpRequest(`${api.url}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status < 200 || response.status >= 300) throw new ToxiproxyError(what, response);
  return response;
}

const proxyPath = (name: string) => `/proxies/${encodeURIComponent(name)}`;

/** Creates the proxy, or points an existing one of that name at `spec`; either way it is enabled. */
export async function ensureProxy(api: ToxiproxyApi, spec: ProxySpec): Promise<void> {
  const response = await httpRequest(`${api.url}${proxyPath(spec.name)}`);
  if (response.status === 404) {
    await call(api, 'POST', '/proxies', `create proxy ${spec.name}`, { ...spec, enabled: true });
    return;
  }
  await call(api, 'POST', proxyPath(spec.name), `update proxy ${spec.name}`, { ...spec, enabled: true });
}

/**
 * A disabled proxy closes its listener and every connection: clients get "connection refused",
 * as from a stopped server.
 */
export async function setProxyEnabled(api: ToxiproxyApi, name: string, enabled: boolean): Promise<void> {
  await call(api, 'POST', proxyPath(name), `${enabled ? 'enable' : 'disable'} proxy ${name}`, { enabled });
}

export async function listToxics(api: ToxiproxyApi, proxy: string): Promise<Toxic[]> {
  const response = await call(api, 'GET', `${proxyPath(proxy)}/toxics`, `list toxics of ${proxy}`);
  return JSON.parse(response.body) as Toxic[];
}

/** Added toxics apply to the proxy's open connections too, not only to new ones. */
export async function addToxic(api: ToxiproxyApi, proxy: string, toxic: Toxic): Promise<void> {
  await call(api, 'POST', `${proxyPath(proxy)}/toxics`, `add toxic ${toxic.name} to ${proxy}`, toxic);
}

export async function removeToxic(api: ToxiproxyApi, proxy: string, name: string): Promise<void> {
  await call(
    api,
    'DELETE',
    `${proxyPath(proxy)}/toxics/${encodeURIComponent(name)}`,
    `remove toxic ${name} from ${proxy}`,
  );
}
