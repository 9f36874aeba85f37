/**
 * The second net. Secret values travel as `Secret` (src/values/secret.ts), which never prints
 * itself; everything Regatta prints (errors, progress, tables, helm's echoed messages) still
 * goes through `redact`, so a value that slipped into text some other way is replaced.
 */
const secretValues = new Set<string>();
/** Values of 1-3 characters: replaced only where they stand alone as a value, not inside words. */
const shortValues = new Set<string>();

export const REDACTED = '<redacted>';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function addForm(form: string): void {
  if (form.length >= 4) secretValues.add(form);
  else if (form.trim().length > 0) shortValues.add(form.trim());
}

export function registerSecretValue(value: string): void {
  if (value.length === 0) return;
  addForm(value);
  addForm(Buffer.from(value).toString('base64'));
  // Inside JSON (helm's messages, --output json) a multi-line value is escaped.
  addForm(JSON.stringify(value).slice(1, -1));
  // Joined, re-indented as a YAML block or folded: each of its lines on its own.
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n/)) addForm(line.trim());
  }
}

/** `scheme://user:password@host` → `scheme://user:<redacted>@host`; a Slack webhook's secret path too. */
export function redactUrlCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:'"]*):([^\s/@'"]+)@/gi, `$1$2:${REDACTED}@`)
    .replace(/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s'"]+/gi, `$1${REDACTED}`);
}

export function redact(text: string): string {
  // A string that is a short secret and nothing else (a JSON Lines field, redacted string by string).
  if (shortValues.has(text.trim())) return REDACTED;
  let result = text;
  // Longest first: a value that contains another is replaced whole.
  for (const value of [...secretValues].sort((a, b) => b.length - a.length))
    result = result.split(value).join(REDACTED);
  for (const value of shortValues) {
    // Standing alone as a value: a quoted string, a YAML `key: value` line, or `key=value`. Not a
    // JSON number (`"revision": 1` stays: --output json must still parse), not inside a word.
    const v = escapeRegExp(value);
    const pattern = new RegExp(
      [
        `(?<=["'])${v}(?=["'])`,
        `(?<=^[+-]?[ \\t]*(?:- )?[^\\s"':#]+:[ \\t]+)${v}(?=[ \\t]*(?:#.*)?$)`,
        `(?<=[\\w.-]=)${v}(?=[\\s,]|$)`,
      ].join('|'),
      'gm',
    );
    result = result.replace(pattern, REDACTED);
  }
  return redactUrlCredentials(result);
}
