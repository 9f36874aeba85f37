// A program run with what /proc says about it: wall time, peak resident memory (VmHWM) and
// CPU-seconds of the process itself and of the children it waited for (helm, for Regatta and
// helmfile), sampled every 100 ms until it exits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Measured {
  exitCode: number | null;
  seconds: number;
  peakRssMiB: number;
  /** utime + stime of the process itself. */
  cpuSeconds: number;
  /** cutime + cstime: its children's, once it has waited for them. */
  childCpuSeconds: number;
  stderr: string;
  /** Standard output, when asked for (`keepStdout`). */
  stdout: string;
}

const TICKS = 100; // USER_HZ on Linux

function sample(pid: number): { rssKiB: number; self: number; children: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = (index: number) => Number(fields[index]) / TICKS;
    return {
      rssKiB: Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0),
      self: tick(11) + tick(12),
      children: tick(13) + tick(14),
    };
  } catch {
    return undefined; // it has exited (or is a zombie without /proc/PID/status lines)
  }
}

export function measured(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  keepStdout = false,
): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let last = { rssKiB: 0, self: 0, children: 0 };
  const timer = setInterval(() => {
    const now = child.pid === undefined ? undefined : sample(child.pid);
    if (now && now.rssKiB > 0) last = now;
  }, 100);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      clearInterval(timer);
      resolve({
        exitCode,
        seconds: (performance.now() - started) / 1000,
        peakRssMiB: last.rssKiB / 1024,
        cpuSeconds: last.self,
        childCpuSeconds: last.children,
        stderr,
        stdout,
      });
    });
  });
}

/**
 * CPU-seconds the hypervisor gave other guests while this machine's vCPUs wanted to run (`steal`
 * in /proc/stat), all cores together: a deploy that met much of it measured the neighbours.
 */
export function machineStealSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  return Number(fields[8] ?? 0) / TICKS; // cpu user nice system idle iowait irq softirq steal
}

/** CPU-seconds (utime + stime) the given processes have used so far; a gone one counts 0. */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((total, pid) => total + (sample(pid)?.self ?? 0), 0);
}
