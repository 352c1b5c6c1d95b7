import { Agent, request } from 'node:http';
import type { CorpusMessage } from '../corpus/generate-corpus';
import { runPool } from './raw-instream';

export interface MessageOutcome {
  index: number;
  latencyMs: number;
  status: number;
  action: string | null;
  /** EICAR message answered `reject`, or clean message answered otherwise. */
  correct: boolean;
  error?: string;
}

function post(agent: Agent, url: URL, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'message/rfc822', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends every message to `POST /scans?wait=300` with at most `concurrency` requests in
 * flight and times each from the first byte sent to the last byte of the answer.
 */
export async function driveFleet(producerUrl: string, messages: readonly CorpusMessage[], concurrency: number): Promise<MessageOutcome[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/scans?wait=300', producerUrl);
  const out: MessageOutcome[] = [];
  try {
    await runPool(messages.length, concurrency, async (i) => {
      const m = messages[i]!;
      const t0 = process.hrtime.bigint();
      try {
        const res = await post(agent, url, m.bytes);
        const latencyMs = Number(process.hrtime.bigint() - t0) / 1e6;
        let action: string | null = null;
        try {
          const parsed = JSON.parse(res.body) as { action?: string; state?: string };
          action = parsed.state === 'done' ? (parsed.action ?? null) : null;
        } catch {
          // not JSON: counted as an error below
        }
        const ok = res.status === 200 && action !== null;
        out.push({ index: i, latencyMs, status: res.status, action, correct: ok && (action === 'reject') === m.eicar, ...(ok ? {} : { error: res.body.slice(0, 300) }) });
      } catch (err) {
        out.push({ index: i, latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, status: 0, action: null, correct: false, error: (err as Error).message });
      }
    });
  } finally {
    agent.destroy();
  }
  return out;
}
