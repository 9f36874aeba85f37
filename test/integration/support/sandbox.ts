import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ProcessError, run, type ProcessResult, type RunOptions } from '../../../src/adapters/process.js';
import { packageRoot } from '../../../src/paths.js';
import { sandboxPaths } from '../../../src/sandbox/layout.js';
import { sandboxEnvironment } from '../../../src/sandbox/sandbox.js';
import { readState, type SandboxState } from '../../../src/sandbox/state.js';

/** The sandbox scripts/run-tests.js started for this run (the suite's global setup). */
export function testSandbox(): { dir: string; state: SandboxState; env: NodeJS.ProcessEnv } {
  const dir = process.env.REGATTA_TEST_SANDBOX_DIR;
  if (!dir) {
    throw new Error(
      'REGATTA_TEST_SANDBOX_DIR is not set: run integration tests with `npm test`, which starts the sandbox',
    );
  }
  const state = readState(sandboxPaths(dir).state);
  if (!state)
    throw new Error(`no sandbox state in ${dir}: \`regatta sandbox up\` failed (see the output above)`);
  return { dir, state, env: { ...process.env, ...sandboxEnvironment(dir, process.env) } };
}

/** Runs a program and returns its result whatever the exit code. */
export async function attempt(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ProcessResult> {
  try {
    return await run(command, args, options);
  } catch (error) {
    if (error instanceof ProcessError) return error.result;
    throw error;
  }
}

/** The regatta CLI as a user runs it. */
export function regatta(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<ProcessResult> {
  return attempt(process.execPath, [join(packageRoot, 'bin', 'regatta.js'), ...args], { env, cwd });
}

/**
 * The result of `deploy --output json`: its last line (stdout is JSON Lines, one event per
 * line while it runs, then the summary with the report). `{}` when nothing was printed.
 */
export function deployJson<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) || '{}') as T;
}

export const fixtureChart = (name: string) => join(packageRoot, 'test', 'fixtures', 'charts', name);

/** Runs the regatta CLI, sends it `signal` once its stderr shows `marker`, and returns that stderr. */
export async function interruptWhen(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  marker: string,
  signal: NodeJS.Signals,
): Promise<string> {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'regatta.js'), ...args], { env });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(marker)) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill(signal);
  await exited;
  return stderr;
}
