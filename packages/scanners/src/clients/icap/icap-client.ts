import os from 'node:os';
import { TransportError } from '../../errors';
import type { ScanBody, ScanContext } from '../../scanner';
import type { SocketConnection } from '../../transport/socket-connection';
import { FAIL_RETRANSMITS_EXCEED, withRetransmits, type AttemptContext } from '../../transport/with-retransmits';
import { clean, fail, virus, type Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, writeThenRead } from '../shared/socket-scanner-base';
import { bodySize, writeBody } from '../shared/write-body';
import { HTTP_2XX_4XX, ICAP_2XX, ICAP_4XX_5XX, parseEncapsulated, parseIcapBlock, type IcapBlock } from './icap-block';
import { resolveIcapSettings, type IcapClientOptions, type IcapSettings } from './icap-options';
import { buildOptionsRequest, buildRespmodHead, icapAddr, partRequestUrl, respmodTrailer } from './icap-request';
import { icapThreatCascade, type IcapThreatResult } from './icap-threats';

const BLOCK_END = '\r\n\r\n';
const CRLF = '\r\n';
export const ICAP_EXTENDED_AGENT = 'avfleet/0.1.0';

/**
 * Generic ICAP antivirus client (RFC 3507, docs/scanners.md "icap"): OPTIONS, then
 * RESPMOD with the body as one chunk on the same connection (a new one when
 * the server says `Connection: close`), optionally over TLS. I/O errors at
 * any stage restart the exchange from OPTIONS on another server; exhaustion
 * is `FAIL("failed - error: <last error>")`.
 */
export class IcapClient extends SocketScannerBase {
  readonly type = 'icap';
  readonly settings: IcapSettings;
  private readonly clock: () => Date;
  private readonly hostname: string;

  constructor(options: IcapClientOptions) {
    super(options);
    this.clock = options.clock ?? (() => new Date());
    this.hostname = options.hostname ?? os.hostname();
    this.settings = resolveIcapSettings(options);
  }

  protected async scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    const out = await withRetransmits(this.upstreams, this.retransmitOptions(ctx), (a) => this.attempt(body, ctx, a));
    if (out.ok) return out.value;
    if (out.verdict.text === FAIL_RETRANSMITS_EXCEED && out.error) return fail(`failed - error: ${out.error.message}`, out.verdict.reason);
    return out.verdict;
  }

  private connect(a: AttemptContext): Promise<SocketConnection> {
    const addr = a.upstream.address;
    if (!this.settings.ssl || addr.kind !== 'tcp') return connectFor(a);
    return connectFor(a, { rejectUnauthorized: !this.settings.noSslVerify, ...(/^[\d.]+$|:/.test(addr.host) ? {} : { servername: addr.host }) });
  }

  /** One exchange: OPTIONS, RESPMOD, reply. TransportErrors are retried by withRetransmits. */
  private async attempt(body: ScanBody, ctx: ScanContext, a: AttemptContext): Promise<Verdict> {
    const s = this.settings;
    const addr = icapAddr(a.upstream.address);
    const userAgent = this.userAgent(ctx);
    let conn = await this.connect(a);
    try {
      const optionsConn = conn;
      const opt = await writeThenRead(
        () => optionsConn.write(buildOptionsRequest(addr, s.scheme, userAgent), { flush: true }),
        async () => parseIcapBlock(await readText(optionsConn, BLOCK_END)),
      );
      if (opt.icapStatus === null || !ICAP_2XX.test(opt.icapStatus)) return fail('OPTIONS query failed', 'error');
      if (!(opt.headers.get('methods') ?? '').includes('RESPMOD')) return fail('NO RESPMOD', 'error');
      const optEnc = opt.headers.get('encapsulated');
      if (optEnc !== undefined && parseEncapsulated(optEnc).has('opt-body')) await skipChunkedBody(conn); // D26
      if ((opt.headers.get('connection') ?? '').trim().toLowerCase() === 'close') {
        conn.close();
        conn = await this.connect(a);
      }
      const respmodConn = conn;
      // The server may answer (an error status) before it stopped reading: that reply is used.
      return await writeThenRead(
        async () => {
          await this.writeRespmod(respmodConn, body, ctx, addr, userAgent, opt);
          a.markHealthy();
        },
        () => this.readReply(respmodConn),
      );
    } finally {
      conn.close();
    }
  }

  private async writeRespmod(conn: SocketConnection, body: ScanBody, ctx: ScanContext, addr: string, userAgent: string | null, opt: IcapBlock): Promise<void> {
    const s = this.settings;
    const length = bodySize(body);
    const whole = body.wholeMessage ?? (body.filename === undefined && body.contentType === undefined);
    const server = opt.headers.get('server') ?? '';
    const fsecure = server.toLowerCase().includes('f-secure icap server'); // D23: case-insensitive
    const head = buildRespmodHead({
      addr,
      scheme: s.scheme,
      allow204: (opt.headers.get('allow') ?? '').includes('204'),
      clientIpHeader: s.xClientHeader && ctx.clientIp ? ctx.clientIp : null,
      rcptTo: fsecure && s.xRcptHeader && ctx.rcpt?.[0] ? ctx.rcpt[0] : null,
      mailFrom: fsecure && s.xFromHeader && ctx.from ? ctx.from : null,
      userAgent,
      reqHeadersEnabled: s.reqHeadersEnabled,
      httpHeadersEnabled: s.httpHeadersEnabled,
      requestUrl: whole ? s.reqFakeUrl : partRequestUrl(ctx.clientIp, body.filename),
      contentType: whole ? 'application/octet-stream' : s.useSpecificContentType && body.contentType ? body.contentType : null,
      date: this.clock().toUTCString(),
      bodyLength: length,
    });
    await conn.write(head);
    if (length > 0) await writeBody(conn, body);
    await conn.write(respmodTrailer(length), { flush: true });
  }

  /** Step 3: the ICAP header block, then (when announced) the encapsulated HTTP response header. */
  private async readReply(conn: SocketConnection): Promise<Verdict> {
    const s = this.settings;
    const reply = parseIcapBlock(await readText(conn, BLOCK_END));
    const status = reply.icapStatus;
    if (status !== null && ICAP_2XX.test(status)) {
      const threat = icapThreatCascade(reply, s.useHttp3xxAsThreat);
      if (threat) return this.threatVerdict(threat);
      const enc = reply.headers.get('encapsulated');
      if (!s.useHttpResultHeader || enc === undefined || enc.includes('null-body=0')) return clean();
      const offsets = parseEncapsulated(enc);
      if (offsets.has('req-hdr')) await conn.readUntil(BLOCK_END); // an echoed request header (D25)
      if (!offsets.has('res-hdr')) return clean();
      const http = parseIcapBlock(await readText(conn, BLOCK_END));
      if (http.httpStatus === null || !HTTP_2XX_4XX.test(http.httpStatus)) {
        return fail(`unhandled icap response: ${http.httpStatus ?? http.firstLine}`, 'error'); // D22
      }
      const httpThreat = icapThreatCascade(http, s.useHttp3xxAsThreat);
      return httpThreat ? this.threatVerdict(httpThreat) : clean();
    }
    if (status !== null && ICAP_4XX_5XX.test(status)) return fail(status, 'error');
    return fail(`unhandled icap response: ${status ?? reply.firstLine}`, 'error');
  }

  private threatVerdict(t: NonNullable<IcapThreatResult>): Verdict {
    if (t.kind === 'fail') return fail(t.text, 'error');
    const w = this.settings.defaultScore;
    return w === 1 ? virus(t.names) : virus(t.names, w);
  }

  private userAgent(ctx: ScanContext): string | null {
    const ua = this.settings.userAgent;
    if (ua === 'none') return null;
    if (ua === 'extended') return `${ICAP_EXTENDED_AGENT} (${this.hostname}/${(ctx.queueId ?? '').slice(0, 6)})`;
    return ua;
  }
}

async function readText(conn: SocketConnection, delimiter: string): Promise<string> {
  return (await conn.readUntil(delimiter)).toString('utf8');
}

/** Reads and drops a chunked body (`<hex>[;ext]` CRLF data CRLF … `0` CRLF [trailers] CRLF). */
async function skipChunkedBody(conn: SocketConnection): Promise<void> {
  for (;;) {
    const line = (await conn.readUntil(CRLF)).toString('latin1');
    const size = parseInt(line.split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new TransportError('AVF_ERR_TRANSPORT_RESET', `bad chunk size "${line}" in the OPTIONS body from ${conn.server}`, { server: conn.server });
    if (size === 0) {
      while ((await conn.readUntil(CRLF)).length > 0) {
        // trailer lines
      }
      return;
    }
    // Chunk data may itself contain CRLF: collect CRLF-separated pieces until `size` bytes.
    let got = 0;
    for (;;) {
      got += (await conn.readUntil(CRLF)).length;
      if (got >= size) break;
      got += 2;
    }
  }
}
