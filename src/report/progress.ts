import type { DeployEvent } from '../model/events.js';
import { jsonLinesProgress, type SummaryEvent } from './json-lines.js';
import { liveProgress } from './live-progress.js';
import { redact } from './redact.js';

/** Where long work reports what it is doing: free lines, and a deploy's events. */
export interface Progress {
  line(text: string): void;
  event(event: DeployEvent): void;
}

function timestamp(date: Date): string {
  return date.toISOString().slice(11, 19);
}

/** One plain line for an event (CI logs, and terminals until the live view takes over). */
export function eventLine(event: DeployEvent): string | undefined {
  switch (event.type) {
    case 'target':
      return `${event.cluster} ${event.release}: ${event.state}${event.detail ? ` (${event.detail})` : ''}`;
    case 'wave':
      return `wave ${event.wave}: ${event.state}${event.detail ? ` (${event.detail})` : ''}`;
    case 'gate':
      return `wave ${event.wave}: ${event.gate} ${event.state}${event.detail ? ` (${event.detail})` : ''}`;
    case 'log':
      return event.message;
    case 'deploy':
      return `deploy ${event.deployId}: ${event.waves.map((w) => `${w.name} [${w.clusters.join(', ')}]`).join(' → ')}`;
    case 'summary':
      return undefined; // the report says it
  }
}

/** Plain lines; with a timestamp when the stream is not a terminal (CI logs). */
export function streamProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const line = (raw: string) => {
    const text = redact(raw);
    stream.write(stream.isTTY ? `${text}\n` : `[${timestamp(new Date())}] ${text}\n`);
  };
  return {
    line,
    event(event) {
      const text = eventLine(event);
      if (text !== undefined) line(text);
    },
  };
}

export const silentProgress: Progress = { line: () => undefined, event: () => undefined };

/** Where a deploy's progress goes, by `--output` and by what stderr is. */
export function deployProgress(options: {
  output: 'text' | 'json';
  interrupt?: AbortSignal;
  stream?: NodeJS.WriteStream;
}): Progress & { close?(): void; summary?(): SummaryEvent | undefined } {
  const stream = options.stream ?? process.stderr;
  if (options.output === 'json') return jsonLinesProgress();
  if (stream.isTTY && process.env.TERM !== 'dumb')
    return liveProgress({ stream, interrupt: options.interrupt });
  return streamProgress(stream);
}
