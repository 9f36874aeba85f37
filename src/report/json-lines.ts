import type { DeployEvent } from '../model/events.js';
import { deployExitCode, type DeployReport } from '../model/outcome.js';
import { deployReportJson } from './deploy.js';
import type { Progress } from './progress.js';
import { redact } from './redact.js';

export type SummaryEvent = Extract<DeployEvent, { type: 'summary' }>;

/** Every string in a value through `redact` (before JSON escaping could hide a secret from it). */
function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  return value;
}

/** One JSON Lines record: compact, redacted. */
export const jsonLine = (value: unknown): string => JSON.stringify(redactDeep(value));

const RESULT_OF_EXIT: Record<number, SummaryEvent['result']> = {
  0: 'succeeded',
  1: 'failed',
  3: 'rollback-failed',
  130: 'interrupted',
};

/**
 * The last line of `deploy --output json`: the summary event (from the engine when it said one,
 * else from the report) with the report's fields (deployId, rolledBack, cause, outcomes) that
 * tooling reading the single JSON object of earlier versions expects.
 */
export function deployResultJson(report: DeployReport, summary?: SummaryEvent) {
  const exitCode = deployExitCode(report);
  const failedWave = summary?.failedWave ?? report.wave;
  const reason = summary?.reason ?? report.reason;
  return {
    ...(deployReportJson(report) as Record<string, unknown>),
    type: 'summary' as const,
    at: summary?.at ?? new Date().toISOString(),
    result: summary?.result ?? (report.pausedBefore ? 'paused' : (RESULT_OF_EXIT[exitCode] ?? 'failed')),
    exitCode: summary?.exitCode ?? exitCode,
    ...(failedWave ? { failedWave } : {}),
    ...(reason ? { reason } : {}),
    deployId: report.deployId,
  };
}

/**
 * `--output json` while a deploy runs: each event as one line on stdout, free lines as `log`
 * events. A summary event is held back: it ends the stream merged with the report
 * (`deployResultJson`), so the last line is always the whole result.
 */
export function jsonLinesProgress(stream: NodeJS.WritableStream = process.stdout): Progress & {
  summary(): SummaryEvent | undefined;
} {
  let summary: SummaryEvent | undefined;
  return {
    line(text) {
      stream.write(`${jsonLine({ type: 'log', at: new Date().toISOString(), message: text })}\n`);
    },
    event(event) {
      if (event.type === 'summary') summary = event;
      else stream.write(`${jsonLine(event)}\n`);
    },
    summary: () => summary,
  };
}
