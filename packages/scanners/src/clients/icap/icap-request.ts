import net from 'node:net';
import type { SocketAddress } from '../../transport/socket-connection';

/**
 * Bytes of the ICAP requests (docs/scanners.md "icap", Steps 1–2). Each attempt
 * builds its own (D18). Lines end in CRLF.
 */

/** The server's address as it appears in the ICAP URI and `Host`: host without port, IPv6 bracketed (D21), or the socket path. */
export function icapAddr(a: SocketAddress): string {
  if (a.kind === 'unix') return a.path;
  return net.isIPv6(a.host) ? `[${a.host}]` : a.host;
}

export function buildOptionsRequest(addr: string, scheme: string, userAgent: string | null): Buffer {
  const lines = [`OPTIONS icap://${addr}/${scheme} ICAP/1.0`, `Host: ${addr}`];
  if (userAgent !== null) lines.push(`User-Agent: ${userAgent}`);
  lines.push('Connection: keep-alive', 'Encapsulated: null-body=0', '', '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

export interface RespmodInput {
  readonly addr: string;
  readonly scheme: string;
  readonly allow204: boolean;
  readonly clientIpHeader: string | null;
  readonly rcptTo: string | null;
  readonly mailFrom: string | null;
  readonly userAgent: string | null;
  readonly reqHeadersEnabled: boolean;
  readonly httpHeadersEnabled: boolean;
  /** The encapsulated GET's URL. */
  readonly requestUrl: string;
  /** `Content-Type` of the encapsulated response, or null for none. */
  readonly contentType: string | null;
  /** IMF-fixdate, e.g. `Thu, 01 Jan 2026 00:00:00 GMT`. */
  readonly date: string;
  readonly bodyLength: number;
}

/**
 * Everything before the body bytes: ICAP head, the encapsulated request and
 * response header blocks (each only when enabled, D17) and the chunk-size line
 * (omitted for an empty body). Follow with the body and `respmodTrailer()`.
 */
export function buildRespmodHead(i: RespmodInput): Buffer {
  const ua = i.userAgent;
  const reqBlock = i.reqHeadersEnabled
    ? block([`GET ${i.requestUrl} HTTP/1.0`, `Date: ${i.date}`, ...(ua !== null ? [`User-Agent: ${ua}`] : [])])
    : '';
  const resBlock = i.httpHeadersEnabled
    ? block([
        'HTTP/1.0 200 OK',
        ...(i.contentType !== null ? [`Content-Type: ${i.contentType}`] : []),
        `Date: ${i.date}`,
        'Server: Apache/2.4',
        ...(ua !== null ? [`User-Agent: ${ua}`] : []),
        `Content-Length: ${i.bodyLength}`,
      ])
    : '';
  const r = Buffer.byteLength(reqBlock);
  const b = r + Buffer.byteLength(resBlock);
  let encapsulated: string;
  if (i.reqHeadersEnabled && i.httpHeadersEnabled) encapsulated = `req-hdr=0, res-hdr=${r}, res-body=${b}`;
  else if (i.httpHeadersEnabled) encapsulated = `res-hdr=0, res-body=${b}`;
  else if (i.reqHeadersEnabled) encapsulated = `req-hdr=0, res-body=${b}`;
  else encapsulated = 'res-body=0';
  const head = [`RESPMOD icap://${i.addr}/${i.scheme} ICAP/1.0`, `Host: ${i.addr}`];
  if (i.allow204) head.push('Allow: 204');
  if (i.clientIpHeader !== null) head.push(`X-Client-IP: ${i.clientIpHeader}`);
  if (i.rcptTo !== null) head.push(`X-Rcpt-To: ${i.rcptTo}`);
  if (i.mailFrom !== null) head.push(`X-Mail-From: ${i.mailFrom}`);
  if (ua !== null) head.push(`User-Agent: ${ua}`);
  head.push(`Encapsulated: ${encapsulated}`);
  const chunkLine = i.bodyLength > 0 ? `${i.bodyLength.toString(16)}\r\n` : '';
  return Buffer.from(`${block(head)}${reqBlock}${resBlock}${chunkLine}`, 'utf8');
}

/** After the body: the CRLF closing its chunk (when there was one) and the last-chunk. */
export function respmodTrailer(bodyLength: number): Buffer {
  return Buffer.from(bodyLength > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n', 'latin1');
}

function block(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Part-mode request URL: `http://<client-host>/<encoded file name>`; client host
 * is the sender IP (IPv6 as `ip6-` + address with `:` → `-`), `127.0.0.1` when
 * unknown (D19). Bytes outside `A–Z a–z 0–9 space _ % - . ~` become `%XX`,
 * then spaces become `+`.
 */
export function partRequestUrl(clientIp: string | undefined, filename: string | undefined): string {
  const ip = clientIp && clientIp.length > 0 ? clientIp : '127.0.0.1';
  const host = net.isIPv6(ip) ? `ip6-${ip.replace(/:/g, '-')}` : ip;
  return `http://${host}/${encodeFileName(filename ?? '')}`;
}

export function encodeFileName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9 _%\-.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.replace(/ /g, '+');
}
