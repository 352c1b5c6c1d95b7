import { TransportError } from '../../errors';
import type { Scanner, ScanBody, ScanContext } from '../../scanner';
import type { ScannerCommonOptions } from '../../scanner-options';
import { SocketConnection, type ConnectOptions } from '../../transport/socket-connection';
import { TempFileError, tempFileFail, withTempFile } from '../../transport/temp-file';
import { UpstreamList, type UpstreamListOptions } from '../../transport/upstream-list';
import { withRetransmits, type AttemptContext, type RetransmitOptions } from '../../transport/with-retransmits';
import { fail, type FailVerdict, type Verdict } from '../../verdict';

/**
 * What every socket scanner client shares: the server pool, the retry loop
 * (`withRetransmits`), one connection per attempt, the optional temp file and
 * the Scanner contract that a scan never rejects. A client only writes its
 * dialogue (`scanBody` and its attempts).
 */
export abstract class SocketScannerBase implements Scanner {
  abstract readonly type: string;
  readonly upstreams: UpstreamList;
  protected readonly options: ScannerCommonOptions;

  /** `list` adds UpstreamList options beyond the fleet-wide `options.upstream` (a test clock). */
  constructor(options: ScannerCommonOptions, list: Pick<UpstreamListOptions, 'now'> = {}) {
    this.options = options;
    this.upstreams = new UpstreamList(options.servers, { ...(options.upstream ?? {}), ...list });
  }

  async scan(body: ScanBody, ctx: ScanContext = {}): Promise<Verdict> {
    try {
      return await this.scanBody(body, ctx);
    } catch (e) {
      return failFromError(e);
    }
  }

  /** A server in rotation that accepted its last connection; probes the servers nothing told about lately (UpstreamList.probeReady). */
  async isReady(): Promise<boolean> {
    return this.upstreams.probeReady();
  }

  serversDown(): number {
    return this.upstreams.downCount();
  }

  async close(): Promise<void> {
    // One connection per attempt: nothing stays open between scans.
  }

  /** The whole scan of one body; may throw (scan() turns that into FAIL). */
  protected abstract scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict>;

  /** Runs attempts with retries on I/O errors; exhaustion becomes the common FAIL texts. */
  protected async runAttempts(ctx: ScanContext, attempt: (a: AttemptContext) => Promise<Verdict>): Promise<Verdict> {
    const out = await withRetransmits(this.upstreams, this.retransmitOptions(ctx), attempt);
    return out.ok ? out.value : out.verdict;
  }

  /** Writes the body to a private temp file, scans its path, removes it (docs/scanners.md "Temp files"). */
  protected withBodyFile(dir: string, ext: string, body: ScanBody, fn: (filePath: string) => Promise<Verdict>): Promise<Verdict> {
    return withTempFile(dir, ext, body, fn);
  }

  /** Attempts allowed for this client; `1 + retransmits` (docs/scanners.md, D11 for Avast). */
  protected retransmitOptions(ctx: ScanContext): RetransmitOptions {
    return retransmitOptionsFor(this.options, ctx);
  }
}

/** The retry settings of one scan: the client's timeout, retransmits and observer, the caller's deadline and signal. */
export function retransmitOptionsFor(o: Pick<ScannerCommonOptions, 'timeoutSec' | 'retransmits' | 'onAttempt'>, ctx: ScanContext): RetransmitOptions {
  return {
    timeoutSec: o.timeoutSec,
    retransmits: o.retransmits,
    ...(o.onAttempt ? { onAttempt: o.onAttempt } : {}),
    ...(ctx.deadlineMs !== undefined ? { deadlineMs: ctx.deadlineMs } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** What a scan answers for an error thrown out of it (Scanner contract: never a rejected promise). */
export function failFromError(e: unknown): FailVerdict {
  if (e instanceof TempFileError) return tempFileFail(e);
  return fail(`scan failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
}

/** Opens the attempt's connection with its deadline (one budget per attempt, D1); `tls` for ICAP `ssl`. */
export function connectFor(a: AttemptContext, tls?: ConnectOptions['tls']): Promise<SocketConnection> {
  return SocketConnection.connect(a.upstream.address, { deadlineMs: a.deadlineMs, ...(a.signal ? { signal: a.signal } : {}), ...(tls ? { tls } : {}) });
}

/** One line up to `delimiter` (not included) as UTF-8; with `\n` a trailing `\r` is dropped. */
export async function readLine(conn: SocketConnection, delimiter: '\n' | '\r\n' = '\n'): Promise<string> {
  const text = (await conn.readUntil(delimiter)).toString('utf8');
  return delimiter === '\n' && text.endsWith('\r') ? text.slice(0, -1) : text;
}

/**
 * Writes a request, then reads its reply. A server may answer and close before
 * it has read the whole request (F-Prot's fpscand replies to the header alone,
 * clamd to an oversized stream, SAVDI with REJ 4), so the write then breaks
 * (EPIPE, ECONNRESET). Such a write error does not end the attempt by itself:
 * `read` still runs on the bytes that arrived before the connection failed
 * (SocketConnection keeps them), and only when they do not hold a complete
 * reply does the write error count (an I/O error, retried). Errors other than
 * a TransportError (the body cannot be opened) end the attempt at once.
 *
 * Rspamd never meets the case for small bodies: its src/lua/lua_tcp.c
 * `lua_tcp_write_helper` sends the whole request (`data = { header, content,
 * footer }` in lualib/lua_scanners/fprot.lua `fprot_check`) with one
 * `sendmsg`, which the kernel accepts before the server closes; a write error
 * there is a failed attempt.
 */
export async function writeThenRead<T>(write: () => Promise<void>, read: () => Promise<T>): Promise<T> {
  let writeError: TransportError | null = null;
  try {
    await write();
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    writeError = e;
  }
  if (writeError === null) return read();
  try {
    return await read();
  } catch {
    throw writeError; // no complete reply arrived: the I/O error counts
  }
}
