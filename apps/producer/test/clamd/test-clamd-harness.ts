import { connect, type AddressInfo } from 'node:net';
import { InflightBudget, NOOP_LOGGER, type ApiVerdict, type ScanResult, type Submission, type SubmitOutcome } from '@avfleet/core';
import { DEFAULT_CLAMD_LIMITS, type ClamdDeps, type ClamdLimits } from '../../src/frontends/clamd/clamd-deps';
import { startClamdServer, type ClamdServer } from '../../src/frontends/clamd/clamd-server';

/** A result with the given verdicts on part 1 and symbols made as the aggregation makes them (virus names as options). */
export function resultWith(verdicts: Record<string, ApiVerdict>, symbols: ScanResult['symbols'] = symbolsOf(verdicts)): ScanResult {
  return {
    id: 'scan-1', state: 'done', action: 'no action', score: 0, required_score: 15, symbols, message: null,
    parts: [{ index: 1, path: '1', filename: null, content_type: null, detected_type: null, size: 1, sha256: '0'.repeat(64), verdicts }],
    skipped: {}, queue_id: null, elapsed_ms: 1,
  };
}

function symbolsOf(verdicts: Record<string, ApiVerdict>): ScanResult['symbols'] {
  const out: Record<string, { name: string; score: number; options: string[] }> = {};
  for (const [rule, v] of Object.entries(verdicts)) {
    const name = `${rule.toUpperCase()}_${v.kind === 'fail' ? 'FAIL' : 'VIRUS'}`;
    if (v.kind === 'virus') out[name] = { name, score: 1, options: [...v.names] };
    if (v.kind === 'fail') out[name] = { name, score: 0, options: [v.text] };
    if (v.kind === 'encrypted' || v.kind === 'macro') out[`${rule.toUpperCase()}_${v.kind.toUpperCase()}`] = { name, score: 1, options: [v.text] };
  }
  return out;
}

export const virusV = (...names: string[]): ApiVerdict => ({ kind: 'virus', names, cached: false, ms: 1 });
export const cleanV = (): ApiVerdict => ({ kind: 'clean', cached: false, ms: 1 });
export const failV = (text: string): ApiVerdict => ({ kind: 'fail', text, reason: 'error', cached: false, ms: 1 });
export const encryptedV = (text: string): ApiVerdict => ({ kind: 'encrypted', text, cached: false, ms: 1 });
export const macroV = (text: string): ApiVerdict => ({ kind: 'macro', text, cached: false, ms: 1 });

/** A fake submitter: records submissions and answers with `answer` (a result, not done, or a thrown error). */
export interface FakeSubmitter {
  readonly submissions: Submission[];
  submit(s: Submission): Promise<SubmitOutcome>;
}

export function fakeSubmitter(answer: (s: Submission) => Promise<SubmitOutcome> | SubmitOutcome): FakeSubmitter {
  const submissions: Submission[] = [];
  return {
    submissions,
    async submit(s) {
      submissions.push(s);
      return answer(s);
    },
  };
}

/** Answers FOUND for bodies containing `EICAR`, OK otherwise. */
export const eicarAware = (): FakeSubmitter =>
  fakeSubmitter((s) => ({
    done: true,
    messageId: null,
    result: resultWith({ clamav: s.raw.includes('EICAR') ? virusV('Eicar-Test-Signature') : cleanV() }),
  }));

export async function startTestServer(
  submitter: FakeSubmitter, { inflightBytes = 64 * 1024 * 1024, ...limits }: Partial<ClamdLimits> & { inflightBytes?: number } = {}, over: Partial<ClamdDeps> = {},
): Promise<{ server: ClamdServer; port: number }> {
  const deps: ClamdDeps = {
    submitter, logger: NOOP_LOGGER, deadlineSec: 4, versionLine: 'avfleet 9.9.9', inflight: new InflightBudget(inflightBytes),
    limits: { ...DEFAULT_CLAMD_LIMITS, maxStreamBytes: 1024 * 1024, ...limits }, ...over,
  };
  const server = await startClamdServer({ kind: 'tcp', host: '127.0.0.1', port: 0 }, deps);
  return { server, port: (server.address as AddressInfo).port };
}

/** INSTREAM chunks: each body piece as a 4-byte big-endian length and its bytes, then the zero-length end. */
export function chunks(...pieces: (Buffer | string)[]): Buffer {
  const out: Buffer[] = [];
  for (const p of pieces) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    out.push(len, b);
  }
  out.push(Buffer.alloc(4));
  return Buffer.concat(out);
}

/**
 * Connects, writes each of `writes` (a small pause between them, so they are separate
 * packets), and resolves with everything the server sent once it closed the connection
 * (or after `timeoutMs`, with `closed: false`).
 */
export function exchange(port: number, writes: (Buffer | string)[], timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let settled = false;
    const settle = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(got).toString('latin1'), closed });
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('close', () => settle(true));
    sock.on('error', () => undefined);
    sock.on('connect', async () => {
      for (const w of writes) {
        if (sock.destroyed) return;
        sock.write(w);
        await new Promise((r) => setTimeout(r, 15));
      }
    });
  });
}
