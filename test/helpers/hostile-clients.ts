import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { parsePromText, sampleSum } from './prometheus-text';

/**
 * Clients that misbehave on purpose (issue 16: slow uploads, bodies declared and never sent,
 * huge uploads at once) and the measures the tests take of a producer meanwhile (its RSS,
 * its metrics). Every client here can be stopped, and stops on its own at the end of a test.
 */

/** Resident set size of process `pid` in bytes (VmRSS of /proc/PID/status); 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; `max` is the highest sample. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  max = 0;
  constructor(private readonly pid: number, everyMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const now = rssBytes(this.pid);
    if (now > this.max) this.max = now;
    return now;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.max;
  }
}

/** The sum of one metric's samples (with `labels`) on `metricsUrl` (…/metrics). */
export async function metricValue(metricsUrl: string, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  return sampleSum(parsePromText(text), name, labels);
}

/** How an upload ended: the server's answer (status, error code, Retry-After), or the connection cut before any answer. */
export type UploadOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly code: string | null; readonly retryAfter: string | null; readonly ms: number }
  | { readonly kind: 'cut'; readonly error: string; readonly ms: number };

export interface UploadOptions {
  /** `http://127.0.0.1:PORT/scans?wait=0` … */
  readonly url: string;
  /** Bytes of the body: a small mail header, then filler lines. */
  readonly bytes: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes per write (default 256 KiB). */
  readonly chunkBytes?: number;
  /** Pause between writes (default none: as fast as the server reads). */
  readonly pauseMs?: number;
  /** false: no Content-Length (chunked). Default true. */
  readonly declareLength?: boolean;
}

/** A running upload: `done` settles with how it ended; `abort()` cuts the connection. */
export interface Upload {
  readonly done: Promise<UploadOutcome>;
  abort(): void;
}

/** The body's first bytes: a mail header block, so the producer reads it as a message. */
function head(tag: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: upload ${tag}\r\nMessage-ID: <${tag}@avfleet.test>\r\n\r\n`, 'latin1');
}

const FILLER_LINE = Buffer.from(`${'a'.repeat(1022)}\r\n`, 'latin1');

/** `n` bytes of filler lines. */
function filler(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let at = 0; at < n; at += FILLER_LINE.length) FILLER_LINE.copy(out, at, 0, Math.min(FILLER_LINE.length, n - at));
  return out;
}

let uploads = 0;

/** POSTs a generated message of `bytes` bytes, writing it chunk by chunk; stops writing once the server answers. */
export function upload(opts: UploadOptions): Upload {
  const started = Date.now();
  const tag = `up${process.pid}-${++uploads}-${started}`;
  const first = head(tag);
  const total = Math.max(opts.bytes, first.length);
  const chunkBytes = opts.chunkBytes ?? 256 * 1024;
  const chunk = filler(chunkBytes);
  const u = new URL(opts.url);
  let answered = false;
  let aborted = false;
  const req = request({
    host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: 'POST', agent: false,
    headers: { ...(opts.declareLength === false ? {} : { 'content-length': String(total) }), ...opts.headers },
  });
  const done = new Promise<UploadOutcome>((resolve) => {
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      const finish = (): void => {
        let code: string | null = null;
        try {
          code = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: { code?: string } }).error?.code ?? null;
        } catch {
          code = null;
        }
        const ra = res.headers['retry-after'];
        resolve({ kind: 'answer', status: res.statusCode ?? 0, code, retryAfter: typeof ra === 'string' ? ra : null, ms: Date.now() - started });
      };
      res.on('end', finish);
      res.on('error', finish);
      res.on('aborted', finish);
    });
    req.on('error', (err) => {
      if (!answered) resolve({ kind: 'cut', error: aborted ? 'aborted by the test' : err.message, ms: Date.now() - started });
    });
  });
  void (async () => {
    const write = (b: Buffer): Promise<void> =>
      new Promise((resolve) => {
        if (req.write(b)) resolve();
        else {
          const go = (): void => {
            req.off('drain', go);
            req.off('close', go);
            resolve();
          };
          req.once('drain', go);
          req.once('close', go);
        }
      });
    await write(first);
    let sent = first.length;
    while (sent < total && !answered && !aborted && !req.destroyed) {
      const n = Math.min(chunkBytes, total - sent);
      await write(n === chunkBytes ? chunk : chunk.subarray(0, n));
      sent += n;
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
    if (!answered && !aborted && !req.destroyed) req.end();
  })();
  return {
    done,
    abort: () => {
      aborted = true;
      req.destroy();
    },
  };
}

/** A raw connection that sends `bytes` and then nothing; `close()` ends it. */
export interface HeldConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  close(): void;
}

/** Connects to 127.0.0.1:`port`, writes `bytes` and keeps the connection open (a slowloris, a body never sent). */
export function holdOpen(port: number, bytes: Buffer | string): Promise<HeldConnection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(bytes);
      resolve({ socket, received: () => Buffer.concat(got).toString('latin1'), close: () => socket.destroy() });
    });
    socket.once('error', reject);
  });
}

/** The request line and headers of a POST that declares `declared` bytes of body. */
export function declaredPost(path: string, declared: number, headers: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Content-Length: ${declared}\r\n\r\n`;
}

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
