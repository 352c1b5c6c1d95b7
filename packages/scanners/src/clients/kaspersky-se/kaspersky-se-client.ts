import http from 'node:http';
import https from 'node:https';
import type { Scanner, ScanBody, ScanContext } from '../../scanner';
import { DEFAULT_TMPDIR, type ScannerCommonOptions } from '../../scanner-options';
import { hostHeader, httpRequest } from '../../transport/http-request';
import { withTempFile } from '../../transport/temp-file';
import { UpstreamList, type Upstream } from '../../transport/upstream-list';
import { withRetransmits, type AttemptContext } from '../../transport/with-retransmits';
import type { Verdict } from '../../verdict';
import { failFromError, retransmitOptionsFor } from '../shared/socket-scanner-base';
import { mapKasperskySeReply } from './kaspersky-se-reply';

export interface KasperskySeClientOptions extends ScannerCommonOptions {
  /** `https` instead of `http` (default false). */
  readonly useHttps?: boolean;
  /** Send a temp file path to `/scanfile` instead of the bytes to `/scanmemory` (default false). */
  readonly useFiles?: boolean;
  /** Where file mode writes its temp files (default /tmp); Scan Engine must be able to read them. */
  readonly tmpdir?: string;
  /** `Connection: keep-alive` and connection reuse (default true). */
  readonly keepalive?: boolean;
  /** Sent verbatim as `Authorization` when set. */
  readonly authString?: string | null;
  /** `User-Agent` value (default `avfleet`). */
  readonly userAgent?: string;
  /** https: verify the certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Clock in ms for failure marking (tests inject one). */
  readonly now?: () => number;
}

export const KASPERSKY_SE_USER_AGENT = 'avfleet';

/** Defaults of the kaspersky_se rule options (packages/config fills a rule's from these). */
export const KASPERSKY_SE_DEFAULTS = {
  useHttps: false,
  useFiles: false,
  keepalive: true,
  authString: null,
} as const satisfies Required<Pick<KasperskySeClientOptions, 'useHttps' | 'useFiles' | 'keepalive' | 'authString'>>;

/**
 * Kaspersky Scan Engine in HTTP mode, KAV protocol 1 (docs/scanners.md
 * "kaspersky_se"): `POST /scanmemory` with the bytes, or `POST /scanfile`
 * with a temp file path. Transport errors are retried on another server up
 * to `retransmits` times; any HTTP response is final.
 */
export class KasperskySeClient implements Scanner {
  readonly type = 'kaspersky_se';
  readonly upstreams: UpstreamList;
  private readonly options: KasperskySeClientOptions;
  private readonly scheme: 'http' | 'https';
  private readonly keepalive: boolean;
  private readonly agent: http.Agent | false;

  constructor(options: KasperskySeClientOptions) {
    this.options = options;
    this.upstreams = new UpstreamList(options.servers, { ...options.upstream, ...(options.now ? { now: options.now } : {}) });
    const useHttps = options.useHttps ?? KASPERSKY_SE_DEFAULTS.useHttps;
    this.scheme = useHttps ? 'https' : 'http';
    this.keepalive = options.keepalive ?? KASPERSKY_SE_DEFAULTS.keepalive;
    this.agent = this.keepalive ? new (useHttps ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 64 }) : false;
  }

  async scan(body: ScanBody, ctx: ScanContext = {}): Promise<Verdict> {
    try {
      if (this.options.useFiles ?? KASPERSKY_SE_DEFAULTS.useFiles) {
        return await withTempFile(this.options.tmpdir ?? DEFAULT_TMPDIR, 'tmp', body, (path) => this.scanPayload(Buffer.from(path, 'utf8'), '/scanfile', ctx));
      }
      return await this.scanPayload(await readAll(body), '/scanmemory', ctx);
    } catch (e) {
      return failFromError(e);
    }
  }

  /** A server in rotation that accepted its last connection; probes the servers nothing told about lately (UpstreamList.probeReady). */
  async isReady(): Promise<boolean> {
    return this.upstreams.probeReady();
  }

  /** Servers down: out of rotation or refusing connections (`avfleet_upstream_servers_down`). */
  serversDown(): number {
    return this.upstreams.downCount();
  }

  async close(): Promise<void> {
    if (this.agent) this.agent.destroy();
  }

  private async scanPayload(payload: Buffer, path: string, ctx: ScanContext): Promise<Verdict> {
    const out = await withRetransmits(this.upstreams, retransmitOptionsFor(this.options, ctx), (a) => this.attempt(payload, path, ctx, a));
    return out.ok ? out.value : out.verdict;
  }

  private async attempt(payload: Buffer, path: string, ctx: ScanContext, a: AttemptContext): Promise<Verdict> {
    const { url, host } = this.target(a.upstream, path);
    const res = await httpRequest({
      url,
      method: 'POST',
      headers: this.headers(host, payload.length, ctx),
      body: payload,
      deadlineMs: a.deadlineMs,
      ...(a.signal ? { signal: a.signal } : {}),
      agent: this.agent,
      ...(this.options.rejectUnauthorized !== undefined ? { rejectUnauthorized: this.options.rejectUnauthorized } : {}),
    });
    return mapKasperskySeReply(res.status, res.body.toString('utf8'));
  }

  /** URL and Host of one server; IPv6 literals bracketed (D8; `u.name` is `host:port` or `[v6]:port`). */
  private target(u: Upstream, path: string): { url: string; host: string } {
    if (u.address.kind !== 'tcp') {
      throw new Error(`kaspersky_se cannot use the unix socket ${u.address.path}; give host:port in servers`);
    }
    return { url: `${this.scheme}://${u.name}${path}`, host: hostHeader(u.address.host, u.address.port, this.scheme) };
  }

  /** Request headers in the documented order (docs/scanners.md "kaspersky_se", Request). */
  private headers(host: string, length: number, ctx: ScanContext): Record<string, string> {
    const h: Record<string, string> = {
      Connection: this.keepalive ? 'keep-alive' : 'close',
      Host: host,
      'Content-Length': String(length),
      'X-KAV-ProtocolVersion': '1',
      'X-KAV-Timeout': String(Math.round(this.options.timeoutSec * 1000)),
    };
    if (ctx.clientIp) h['X-KAV-HostIP'] = ctx.clientIp;
    if (ctx.from) h['X-KAV-ObjectURL'] = `[from:${ctx.from}]`;
    if (this.options.authString) h['Authorization'] = this.options.authString;
    h['User-Agent'] = this.options.userAgent ?? KASPERSKY_SE_USER_AGENT;
    return h;
  }
}

async function readAll(body: ScanBody): Promise<Buffer> {
  if (body.buffer) return body.buffer;
  const stream = await body.open();
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
