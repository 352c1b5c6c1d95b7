import type { ScanResult } from '@avfleet/core';

/** How long one message may take end to end before the CLI reports an error for it. */
const SUBMIT_TIMEOUT_MS = 600_000;

/** POST /scans?wait=…, then poll GET /scans/:id while the answer is 202. */
export async function submitMessage(baseUrl: string, raw: Buffer, token: string | null): Promise<ScanResult> {
  const headers: Record<string, string> = { 'content-type': 'message/rfc822' };
  if (token) headers.authorization = `Bearer ${token}`;
  const deadline = Date.now() + SUBMIT_TIMEOUT_MS;
  const res = await fetch(new URL('/scans?wait=60', baseUrl), { method: 'POST', body: raw, headers });
  let body = (await res.json()) as unknown;
  if (res.status === 200) return body as ScanResult;
  if (res.status !== 202) throw new Error(describeError(res.status, body));
  const id = (body as { id: string }).id;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const poll = await fetch(new URL(`/scans/${encodeURIComponent(id)}`, baseUrl), { headers });
    body = (await poll.json()) as unknown;
    if (poll.status !== 200) throw new Error(describeError(poll.status, body));
    if ((body as ScanResult).state === 'done') return body as ScanResult;
  }
  throw new Error(`scan ${id} not finished after ${SUBMIT_TIMEOUT_MS / 1000} s; are workers running?`);
}

function describeError(status: number, body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string } })?.error;
  return e ? `HTTP ${status} ${e.code}: ${e.message}` : `HTTP ${status}`;
}
