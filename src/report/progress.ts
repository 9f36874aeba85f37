import { redact } from './redact.js';

/** Where long work reports what it is doing. */
export interface Progress {
  line(text: string): void;
}

function timestamp(date: Date): string {
  return date.toISOString().slice(11, 19);
}

/** Plain lines; with a timestamp when the stream is not a terminal (CI logs). */
export function streamProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return {
    line(raw) {
      const text = redact(raw);
      stream.write(stream.isTTY ? `${text}\n` : `[${timestamp(new Date())}] ${text}\n`);
    },
  };
}

export const silentProgress: Progress = { line: () => undefined };
