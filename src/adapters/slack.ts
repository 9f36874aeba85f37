import { registerSecretValue } from '../report/redact.js';
import { httpRequest } from './http.js';

/**
 * Posts one message to a Slack incoming webhook. Rejects on any failure (the caller only reports
 * it). The webhook URL is a credential: no error names it, only its host.
 */
export async function postSlackMessage(
  webhookUrl: string,
  channel: string | undefined,
  text: string,
): Promise<void> {
  registerSecretValue(webhookUrl);
  let host = 'the webhook';
  try {
    host = new URL(webhookUrl).host;
  } catch {
    throw new Error('the Slack webhook URL is not a URL');
  }
  let status: number;
  try {
    status = (
      await httpRequest(webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...(channel ? { channel } : {}), text }),
        timeoutMs: 10_000,
      })
    ).status;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = /timed out/.test((error as Error).message) ? 'timed out after 10 s' : (code ?? 'failed');
    throw new Error(`Slack webhook at ${host}: ${why}`);
  }
  if (status < 200 || status >= 300) throw new Error(`Slack webhook at ${host} answered HTTP ${status}`);
}
