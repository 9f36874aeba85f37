/**
 * Every secret value read in this process. Whatever Regatta prints (errors, progress, tables,
 * helm's echoed messages) goes through `redact`, so a value that slipped into text is replaced.
 */
const secretValues = new Set<string>();

export const REDACTED = '<redacted>';

export function registerSecretValue(value: string): void {
  // Very short values would redact ordinary words; they are still never printed on purpose.
  if (value.length < 4) return;
  secretValues.add(value);
  secretValues.add(Buffer.from(value).toString('base64'));
}

export function redact(text: string): string {
  let result = text;
  for (const value of secretValues) result = result.split(value).join(REDACTED);
  return result;
}
