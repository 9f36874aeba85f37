/**
 * The sandbox's git server: smart HTTP on 127.0.0.1 (Flux's source-controller rejects file://),
 * serving every bare repository under a root folder through Debian git's own `git http-backend`
 * (CGI). A request to a repository path that does not exist yet creates it, so `git push
 * http://127.0.0.1:PORT/any/name.git main` works with no set-up step.
 *
 * Run as its own process by the sandbox: node git-server.js --port PORT --root DIR
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import { parseArgs } from 'node:util';

/** The repository part of a smart-HTTP URL path (`/team/app.git/info/refs` → `team/app.git`). */
export function repositoryOf(pathname: string): string | undefined {
  const match = /^\/(.+?)\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/.exec(pathname);
  if (!match) return undefined;
  const repository = match[1] as string;
  const segments = repository.split('/');
  if (
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith('.'),
    )
  )
    return undefined;
  if (!/^[A-Za-z0-9._/-]+$/.test(repository)) return undefined;
  return normalize(repository);
}

function fail(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(`${message}\n`);
}

function runGit(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Creations in flight, so two first requests to one new path create it once. */
const creating = new Map<string, Promise<void>>();

function ensureRepository(root: string, repository: string): Promise<void> {
  const dir = join(root, repository);
  if (existsSync(join(dir, 'HEAD'))) return Promise.resolve();
  let pending = creating.get(dir);
  if (!pending) {
    mkdirSync(dir, { recursive: true });
    pending = runGit(['init', '--quiet', '--bare', '--initial-branch=main', dir]).finally(() =>
      creating.delete(dir),
    );
    creating.set(dir, pending);
  }
  return pending;
}

/** Runs `git http-backend` for one request and relays its CGI response. */
function serveCgi(root: string, request: IncomingMessage, response: ServerResponse, url: URL): void {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    // Anonymous pushes: this server only listens on 127.0.0.1 inside a throwaway sandbox.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    REQUEST_METHOD: request.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'sandbox',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
  };
  if (request.headers['content-length']) env.CONTENT_LENGTH = request.headers['content-length'];
  if (request.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = request.headers['content-encoding'];
  if (request.headers['git-protocol']) env.GIT_PROTOCOL = String(request.headers['git-protocol']);
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  request.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return;
    const separator = /\r?\n\r?\n/.exec(text.slice(end)) as RegExpExecArray;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else headers[name] = value;
    }
    response.writeHead(status, headers);
    headersDone = true;
    const body = head.subarray(Buffer.byteLength(text.slice(0, end + separator[0].length), 'latin1'));
    if (body.length > 0) response.write(body);
  });
  child.once('error', (error) => fail(response, 500, `git http-backend: ${error.message}`));
  child.once('close', (code) => {
    if (!headersDone) fail(response, 500, `git http-backend exited ${code} without a response`);
    else response.end();
  });
}

function handle(root: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok\n');
    return;
  }
  const repository = repositoryOf(url.pathname);
  if (!repository) {
    fail(response, 404, 'not a git smart-HTTP path');
    return;
  }
  ensureRepository(root, repository).then(
    () => serveCgi(root, request, response, url),
    (error: Error) => fail(response, 500, error.message),
  );
}

function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, root: { type: 'string' } },
  });
  if (!values.port || !values.root) {
    process.stderr.write('usage: git-server --port PORT --root DIR\n');
    process.exitCode = 2;
    return;
  }
  const root = values.root;
  mkdirSync(root, { recursive: true });
  const server = createServer((request, response) => handle(root, request, response));
  server.listen({ host: '127.0.0.1', port: Number(values.port) }, () =>
    process.stdout.write(`git server on http://127.0.0.1:${values.port}/ serving ${root}\n`),
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
