import { httpRequest } from './http.js';

/** Posts one message to a Slack incoming webhook. Rejects on any failure (the caller only reports it). */
export async function postSlackMessage(
  webhookUrl: string,
  channel: string | undefined,
  text: string,
): Promise<void> {
  const response = await httpRequest(webhookUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...(channel ? { channel } : {}), text }),
    timeoutMs: 10_000,
  });
  if (response.status < 200 || response.status >= 300)
    throw new Error(`Slack webhook answered HTTP ${response.status}`);
}
