import { RegattaError, type SourcePosition } from '../errors.js';

export function formatPosition(position: SourcePosition): string {
  const parts = [position.file];
  if (position.line !== undefined) parts.push(String(position.line));
  if (position.line !== undefined && position.col !== undefined) parts.push(String(position.col));
  return parts.join(':');
}

/** Control characters from a user's input (a value quoted in a message) are shown escaped, never sent to the terminal. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The one place errors become text. Expected errors: one line (plus details); others keep their stack. */
export function renderError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof RegattaError) {
    const where = error.position ? `${formatPosition(error.position)}: ` : '';
    const hint = error.hint ? ` (${error.hint})` : '';
    const details = error.details ? `\n${error.details}` : '';
    const line = printable(`${where}${error.message}${hint}`);
    return { text: `error: ${line}${details}`, exitCode: error.exitCode };
  }
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return { text: `internal error: ${text}`, exitCode: 70 };
}
