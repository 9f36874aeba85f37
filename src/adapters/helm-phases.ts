// Where one `helm install`/`upgrade --wait` spent its time, read from its --debug lines (on
// stderr) as they arrived. Helm 4 logs with slog (`level=DEBUG msg="waiting for resources"`),
// Helm 3 with its own prefix (`wait.go:50: ... [debug] beginning wait for 2 resources`). Nothing
// here needs more than the line's text: values never appear on stderr (helm prints them only on
// stdout, which a deploy discards unread).

/** One stderr line and when it arrived (ms, any monotonic clock). */
export interface TimedLine {
  at: number;
  text: string;
}

export interface HelmPhases {
  /** The whole run, less `wait`: loading, rendering, post-rendering, applying, recording. */
  upgrade: number;
  /** Waiting for the release's resources (and hooks) to be ready. */
  wait: number;
  /** The post-renderer's run, a part of `upgrade`, as it reported it (postRenderSeconds). */
  postRender?: number;
}

export const isHelmDebugLine = (line: string): boolean =>
  line.startsWith('level=DEBUG ') || /^\S+\.go:\d+: .*\[debug\] /.test(line);

/** A line that starts a record of its own: helm's error, a log line, a warning. */
const startsRecord = (line: string): boolean =>
  line.startsWith('Error: ') ||
  line.startsWith('level=') ||
  /^\S+\.go:\d+: /.test(line) ||
  /^WARNING/i.test(line);

/**
 * Pure: helm's stderr without its --debug log records. A Helm 3 record may run over several
 * lines (an object dumped with `Resource details`, a stack trace after the error): every line up
 * to the next record goes with it. What is left reads as helm's stderr without --debug.
 */
export function withoutDebugLog(stderr: string): string {
  const kept: string[] = [];
  let inDebug = false;
  for (const line of stderr.split('\n')) {
    if (isHelmDebugLine(line)) inDebug = true;
    else if (startsRecord(line)) inDebug = false;
    if (!inDebug) kept.push(line);
  }
  return kept.join('\n');
}

const WAIT_STARTS = [/msg="waiting for resources"/, /\[debug\] beginning wait for /];
// Helm 3 logs its wait's progress from ready.go and wait.go (not ready, no IP yet, retrying).
const WAIT_PROGRESS = [/msg="waiting for resource"/, /^(ready|wait)\.go:\d+: /];

/**
 * Pure: the phases of one helm run from its timed stderr lines, `started` and `ended` being when
 * the process was started and when it exited. A wait lasts from its start line to the first
 * later line that is not its progress (helm's "all resources achieved desired status", "updating
 * status…"), or to the exit; several waits (hooks) add up.
 */
export function helmPhases(lines: readonly TimedLine[], started: number, ended: number): HelmPhases {
  let wait = 0;
  let waitingSince: number | undefined;
  for (const { at, text } of lines) {
    if (!isHelmDebugLine(text)) continue;
    if (waitingSince !== undefined && !WAIT_PROGRESS.some((re) => re.test(text))) {
      wait += at - waitingSince;
      waitingSince = undefined;
    }
    if (WAIT_STARTS.some((re) => re.test(text))) waitingSince = at;
  }
  if (waitingSince !== undefined) wait += ended - waitingSince;
  const seconds = (ms: number) => Math.max(0, ms) / 1000;
  return { upgrade: seconds(ended - started - wait), wait: seconds(wait) };
}

/**
 * Pure: the post-renderer's time from what it left (`START END` lines, nanoseconds since the
 * epoch; see assets/helm-plugins/regatta-scale/post-render); undefined for anything else (a
 * `date` without %N, say). Several runs in one helm run add up.
 */
export function postRenderSeconds(text: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n').filter((l) => l.trim())) {
    const match = /^(\d+) (\d+)$/.exec(line.trim());
    if (!match) return undefined;
    const ns = BigInt(match[2]!) - BigInt(match[1]!);
    if (ns < 0n) return undefined;
    total = (total ?? 0) + Number(ns) / 1e9;
  }
  return total;
}

/** Splits stderr chunks into lines, each stamped with when its end arrived. */
export class LineClock {
  readonly lines: TimedLine[] = [];
  private partial = '';

  constructor(private readonly now: () => number = () => performance.now()) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    const at = this.now();
    for (const text of parts) this.lines.push({ at, text });
  }

  /** The lines, the last one too if it had no newline. */
  finish(): TimedLine[] {
    if (this.partial) this.lines.push({ at: this.now(), text: this.partial });
    this.partial = '';
    return this.lines;
  }
}
