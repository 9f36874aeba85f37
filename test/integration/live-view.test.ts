import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { run } from '../../src/adapters/process.js';
import { packageRoot } from '../../src/paths.js';
import { writeRelease, writeTestFleet } from './support/fleet.js';
import { testSandbox } from './support/sandbox.js';

const { state, env } = testSandbox();
const webChart = join(packageRoot, 'test', 'fixtures', 'charts', 'web');
const namespace = `live-${process.pid}`;
const fleet = writeTestFleet(state);
const broken = writeTestFleet(state, {
  dir: fleet.dir,
  name: 'regatta-broken.yaml',
  globals: { 'dev-europe-west1-0': { imageSuffix: '-broken' } },
});
const release = (image: string) =>
  writeRelease(fleet.dir, 'live.yaml', {
    apiVersion: 'regatta/v1',
    kind: 'Release',
    metadata: { name: `live.${namespace}`, environment: 'dev' },
    spec: { chart_name: 'web', chart_path: webChart, values: { image } },
  });

const EXIT = 'REGATTA-EXIT:';
/** A colour or attribute code (ESC [ … m), as `capture-pane -e` writes them. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`);
/** Each run's tmux server listens on a socket in a folder of this test, removed at the end. */
const socketDir = mkdtempSync(join(tmpdir(), 'regatta-live-'));
let runs = 0;
const live = new Set<string>();
const tmux = (socket: string, ...args: string[]) => run('tmux', ['-S', socket, ...args], { env });

/**
 * `regatta deploy` on a real terminal: a tmux pane of its own (a private server), read back with
 * `capture-pane` once the command has ended. Returns the whole pane, scrollback included.
 */
async function deployInTerminal(
  args: string[],
  options: { env?: Record<string, string>; interruptOn?: RegExp } = {},
) {
  const socket = join(socketDir, `tmux-${runs++}.sock`);
  live.add(socket);
  const command = [process.execPath, join(packageRoot, 'bin', 'regatta.js'), 'deploy', ...args];
  const environment = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  // argv all the way (no shell quoting of our own): sh runs "$@", then says the exit code; its
  // own Ctrl-C is a no-op, so it outlives the deploy it waits for.
  await tmux(
    socket,
    'new-session',
    '-d',
    '-s',
    'live',
    '-x',
    '200',
    '-y',
    '60',
    '--',
    'sh',
    '-c',
    `trap : INT; "$@"; echo ${EXIT}$?; sleep 600`,
    'sh',
    'env',
    ...environment,
    ...command,
  );
  const capture = async (colours: boolean) =>
    (await tmux(socket, 'capture-pane', '-p', '-S', '-', ...(colours ? ['-e'] : []))).stdout;
  // Polled until the command ends (a deploy's own --timeout bounds it), never for a fixed time.
  let pane = await capture(false);
  let interrupted = false;
  while (!pane.includes(EXIT)) {
    if (options.interruptOn?.test(pane) && !interrupted) {
      interrupted = true;
      await tmux(socket, 'send-keys', '-t', 'live', 'C-c');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    pane = await capture(false);
  }
  const painted = await capture(true);
  await tmux(socket, 'kill-server');
  live.delete(socket);
  return { pane, painted, exitCode: Number(/REGATTA-EXIT:(\d+)/.exec(pane)?.[1]) };
}

/** The lines of the pane from the matrix's header to the command's table (the last frame). */
const headerLines = (pane: string) => pane.split('\n').filter((line) => /^RELEASE +dev-/.test(line));
const rowOf = (pane: string) => pane.split('\n').find((line) => line.startsWith(`live.${namespace} `)) ?? '';

describe('the live view on a terminal (tmux)', () => {
  after(async () => {
    // A run that failed half-way leaves its server: stop it, then drop the sockets' folder.
    for (const socket of live) await tmux(socket, 'kill-server').catch(() => undefined);
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('redraws one releases × clusters matrix in place, every cell healthy with its time, in colour', async () => {
    const { pane, painted, exitCode } = await deployInTerminal([
      '--fleet',
      fleet.file,
      release('registry.example/web:live-1'),
      '--timeout',
      '30',
    ]);
    assert.equal(exitCode, 0, pane);
    // Dozens of events, one matrix: it was redrawn, not printed again.
    assert.equal(headerLines(pane).length, 1, pane);
    assert.match(headerLines(pane)[0]!, /^RELEASE +dev-us-central1-0 +dev-europe-west1-0 +dev-asia-east1-0$/);
    assert.match(pane, /^ +all( [✓✗])? ─+$/m);
    assert.match(rowOf(pane), /^live\.\S+ +healthy \d+:\d\d +healthy \d+:\d\d +healthy \d+:\d\d$/, pane);
    assert.doesNotMatch(pane, /Ctrl-C: stop and roll back/, 'the last frame has nothing left to stop');
    assert.match(pane, /^CLUSTER +RELEASE +ACTION +RESULT/m, 'the report follows the last frame');
    assert.match(painted, new RegExp(`${SGR.source}healthy`), 'healthy cells are coloured on a terminal');
  });

  it('shows the failed cluster, the rollback of all, and why — without colours under NO_COLOR', async () => {
    const { pane, painted, exitCode } = await deployInTerminal(
      ['--fleet', broken.file, release('registry.example/web:live-2'), '--timeout', '30'],
      { env: { NO_COLOR: '1' } },
    );
    assert.equal(exitCode, 1, pane);
    assert.equal(headerLines(pane).length, 1, pane);
    const row = rowOf(pane);
    assert.match(row, /^live\.\S+ +rolled back \d+:\d\d +rolled back \d+:\d\d +rolled back \d+:\d\d$/, pane);
    assert.match(
      pane,
      new RegExp(`^dev-europe-west1-0 live\\.${namespace}: .+`, 'm'),
      'why it failed, under the matrix',
    );
    assert.match(
      pane,
      /(a target|wave all) failed: every cluster this deploy changed goes back/,
      'free lines stay visible',
    );
    assert.doesNotMatch(painted, SGR, 'NO_COLOR: no colour codes');
  });

  it('Ctrl-C: the matrix goes on under the interrupt message until every cluster is back on last good', async () => {
    const { pane, exitCode } = await deployInTerminal(
      ['--fleet', broken.file, release('registry.example/web:live-3'), '--timeout', '30'],
      { interruptOn: /healthy \d+:\d\d/ },
    );
    assert.equal(exitCode, 130, pane);
    const lines = pane.split('\n');
    const message = lines.findIndex((line) => line.startsWith('SIGINT: stopping'));
    const header = lines.findIndex((line) => /^RELEASE +dev-/.test(line));
    assert.ok(message >= 0 && header > message, `the frame is drawn again under the message:\n${pane}`);
    assert.equal(headerLines(pane).length, 1, pane);
    assert.match(
      rowOf(pane),
      /^live\.\S+ +rolled back \d+:\d\d +rolled back \d+:\d\d +rolled back \d+:\d\d$/,
      pane,
    );
  });
});
