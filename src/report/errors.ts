import { RegattaError, type SourcePosition } from '../errors.js';

export function formatPosition(position: SourcePosition): string {
  const parts = [position.file];
  if (position.line !== undefined) parts.push(String(position.line));
  if (position.line !== undefined && position.col !== undefined) parts.push(String(position.col));
  return parts.join(':');
}

/** The one place errors become text. Expected errors: one line (plus details); others keep their stack. */
export function renderError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof RegattaError) {
    const where = error.position ? `${formatPosition(error.position)}: ` : '';
    const hint = error.hint ? ` (${error.hint})` : '';
    const details = error.details ? `\n${error.details}` : '';
    return { text: `error: ${where}${error.message}${hint}${details}`, exitCode: error.exitCode };
  }
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return { text: `internal error: ${text}`, exitCode: 70 };
}
