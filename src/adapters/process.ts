import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';

/** Everything known about one finished program run. */
export interface ProcessResult {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to standard input (how secrets travel: never on the command line). */
  input?: string;
  timeoutMs?: number;
  /** Stops the program (SIGTERM) when aborted; see killAfterMs. */
  signal?: AbortSignal;
  /**
   * After the abort, SIGKILL to its process group if it is still running this long (ms) later:
   * a program that handles SIGTERM by finishing what it was doing over a dead connection would
   * otherwise hold us as long as the kernel keeps that connection.
   */
  killAfterMs?: number;
  /** Called with each chunk of stderr as it arrives (progress). */
  onStderr?: (chunk: string) => void;
  onStdout?: (chunk: string) => void;
  /** Standard output goes nowhere, unread (what it holds must never reach us: values). */
  discardStdout?: boolean;
  /**
   * In a process group of its own: a Ctrl-C on the terminal reaches Regatta only, which decides
   * what each program gets (a rollback in flight must not die with the deploy it undoes).
   */
  ownProcessGroup?: boolean;
}

/** A program exited non-zero. `args` are not kept: they may carry values. */
export class ProcessError extends Error {
  constructor(readonly result: ProcessResult) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
    const lastLines = lastNonEmptyLines(result.stderr || result.stdout, 5);
    super(`${result.command} ${how}${lastLines ? `:\n${lastLines}` : ''}`);
    this.name = 'ProcessError';
  }
}

export function lastNonEmptyLines(text: string, count: number): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join('\n');
}

function commandNotFound(command: string): UserError {
  return new UserError(`${command}: command not found`, {
    hint: `install ${command} or put it on PATH`,
  });
}

/** Programs `run` is waiting for: stopped with us when we are interrupted. */
const runningChildren = new Set<ChildProcess>();

/** Daemons started by this process that nothing has recorded as belonging to a finished start yet. */
const unsettledDaemons = new Set<number>();

/** The daemons started so far now belong to a completed start: an interruption leaves them running. */
export function settleDaemons(): void {
  unsettledDaemons.clear();
}

/**
 * On SIGINT/SIGTERM: SIGTERM to every program `run` started that is still running, and to every
 * daemon of a start that did not complete (so an interrupted `sandbox up` leaves nothing behind).
 */
export function terminateChildren(): void {
  for (const child of runningChildren) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM'); // not a group leader
    }
  }
  for (const pid of unsettledDaemons) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** Runs a program to completion; rejects with ProcessError on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal: options.signal,
      timeout: options.timeoutMs,
      stdio: ['pipe', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    runningChildren.add(child);
    if (options.signal && options.killAfterMs !== undefined)
      killLater(child, options.signal, options.killAfterMs, options.ownProcessGroup ?? false);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // An abort (options.signal) kills the program; its exit code and output still follow.
      if (error.name === 'AbortError') return;
      runningChildren.delete(child);
      reject(error.code === 'ENOENT' ? commandNotFound(command) : error);
    });
    child.on('close', (exitCode, signal) => {
      runningChildren.delete(child);
      const result = { command, exitCode, signal, stdout, stderr, durationMs: performance.now() - started };
      if (exitCode === 0) resolve(result);
      else reject(new ProcessError(result));
    });
    child.stdin!.on('error', () => undefined); // the program may exit before reading its input
    child.stdin!.end(options.input ?? '');
  });
}

/**
 * SIGKILL to the child's group (or the child, if it leads none) `ms` after `signal` aborts,
 * unless its output has closed. The group even if the child itself has exited: a process it
 * started may still hold its output open (stuck on the same dead link), and the run ends only
 * when that closes.
 */
function killLater(child: ChildProcess, signal: AbortSignal, ms: number, leadsGroup: boolean): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      try {
        if (leadsGroup) process.kill(-child.pid!, 'SIGKILL');
        else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      } catch {
        // its group is gone
      }
    }, ms);
  };
  if (signal.aborted) arm();
  else signal.addEventListener('abort', arm, { once: true });
  child.once('close', () => {
    signal.removeEventListener('abort', arm);
    clearTimeout(timer);
  });
}

/** Identifies one process instance: a pid alone may be reused after the process exits. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot, from /proc/PID/stat. */
  startTicks: number;
}

export function readStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function isRunning(identity: ProcessIdentity): boolean {
  return readStartTicks(identity.pid) === identity.startTicks;
}

/** Resident memory of a process in bytes (0 when it is gone). */
export function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface DaemonOptions {
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a long-running program detached from us, its output appended to a log file. */
export async function startDaemon(options: DaemonOptions): Promise<ProcessIdentity> {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => {
        unsettledDaemons.add(child.pid as number);
        resolve(child.pid as number);
      });
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? commandNotFound(options.command) : error),
      );
    });
    child.unref();
    const startTicks = readStartTicks(pid);
    if (startTicks === undefined) return { pid, startTicks: -1 };
    return { pid, startTicks };
  } finally {
    closeSync(log);
  }
}

/** Stops one process we started: SIGTERM, then SIGKILL after the grace period. */
export async function stopProcess(identity: ProcessIdentity, graceMs = 10_000): Promise<void> {
  if (!isRunning(identity)) return;
  process.kill(identity.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(identity)) return;
    await sleep(50);
  }
  if (isRunning(identity)) process.kill(identity.pid, 'SIGKILL');
  while (isRunning(identity)) await sleep(20);
}
