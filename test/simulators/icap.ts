import { EICAR_MARK } from './http-exchange';
import { GARBAGE_LINE, startSimulator, type SimSocket, type Simulator, type SimulatorServerOptions } from './simulator-server';

/**
 * An ICAP/1.0 antivirus server (RFC 3507; docs/scanners.md "icap") speaking
 * OPTIONS and RESPMOD with keep-alive, optionally over TLS. `auto` behaves
 * like c-icap + virus_scan (EICAR → `X-Infection-Found` and a 403 page;
 * clean → 204 when the client allows it, else the body echoed back). The
 * other scenarios replay the vendor replies quoted in docs/scanners.md;
 * `early-413` refuses a RESPMOD from its header and closes unread.
 */
export const ICAP_SCENARIOS = [
  'auto', 'clean', 'connection-close', 'opt-body', 'options-fail', 'no-respmod', 'squidclamav', 'kaspersky-virus-id',
  'kaspersky-no-threats', 'mcafee', 'two-names', 'symantec-type2', 'symantec-type2-nosemi', 'symantec-539', 'icap-500',
  'icap-100', 'fsecure', 'x-blocked', 'http-403', 'http-307', 'echo-req-hdr', 'http-bad-status', 'early-413', 'slow', 'reset', 'garbage',
] as const;
export type IcapScenario = (typeof ICAP_SCENARIOS)[number];

/** One RESPMOD as the server parsed it. */
export interface IcapRespmodSeen {
  readonly requestLine: string;
  /** ICAP header names as sent, in order. */
  readonly headerOrder: readonly string[];
  readonly headers: ReadonlyMap<string, string>;
  readonly reqHdr: string | null;
  readonly resHdr: string | null;
  readonly body: Buffer;
}

export interface IcapSimulator extends Simulator<IcapScenario> {
  readonly service: string;
  readonly respmods: readonly IcapRespmodSeen[];
  readonly options: number;
}

export interface IcapSimulatorOptions extends SimulatorServerOptions {
  /** Service name in the ICAP URI (default `scan`). */
  readonly service?: string;
}

const CRLF = '\r\n';

export async function startIcapSimulator(initial: IcapScenario = 'auto', o: IcapSimulatorOptions = {}): Promise<IcapSimulator> {
  const service = o.service ?? 'scan';
  const respmods: IcapRespmodSeen[] = [];
  let optionsSeen = 0;

  async function serve(sock: SimSocket, sc: IcapScenario): Promise<void> {
    for (;;) {
      const head = await sock.line('\r\n\r\n');
      if (head === null) return;
      const [requestLine = '', ...lines] = head.split(CRLF);
      const headerOrder: string[] = [];
      const headers = new Map<string, string>();
      for (const l of lines) {
        const c = l.indexOf(':');
        if (c > 0) {
          headerOrder.push(l.slice(0, c));
          headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
        }
      }
      const [method, uri] = requestLine.split(' ');
      if (!uri || !uri.startsWith('icap://') || uri.slice(uri.indexOf('/', 7) + 1) !== service) {
        sock.send(`ICAP/1.0 404 ICAP Service not found${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`);
        continue;
      }
      if (method === 'OPTIONS') {
        optionsSeen++;
        if (!answerOptions(sock, sc)) return;
        continue;
      }
      if (method !== 'RESPMOD') {
        sock.send(`ICAP/1.0 405 Method not allowed${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`);
        continue;
      }
      if (sc === 'early-413') {
        // Refuses the body from its header alone and closes without reading it.
        sock.answerAndClose(`ICAP/1.0 413 Request Entity Too Large${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`);
        return;
      }
      const seen = await readRespmod(sock, requestLine, headerOrder, headers);
      if (!seen) return;
      respmods.push(seen);
      answerRespmod(sock, sc, seen);
      if (sc === 'slow' || sc === 'reset' || sc === 'garbage') return;
    }
  }

  const sim = await startSimulator<IcapScenario>(initial, (sock, sc) => serve(sock, sc), o);
  // defineProperties, not Object.assign: `options` must stay a live getter.
  return Object.defineProperties(sim, {
    service: { value: service },
    respmods: { value: respmods },
    options: { get: () => optionsSeen },
  }) as IcapSimulator;
}

/** Returns false when the connection is closed after the answer. */
function answerOptions(sock: SimSocket, sc: IcapScenario): boolean {
  if (sc === 'options-fail') {
    sock.send(`ICAP/1.0 404 ICAP Service not found${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`);
    return true;
  }
  const h = [
    'ICAP/1.0 200 OK',
    `Methods: ${sc === 'no-respmod' ? 'REQMOD' : 'RESPMOD'}`,
    'Service: avfleet ICAP simulator',
    'ISTag: "sim-1"',
    'Transfer-Preview: *',
    'Options-TTL: 3600',
    'Date: Thu, 01 Jan 2026 00:00:00 GMT',
    'Preview: 1024',
  ];
  if (sc !== 'clean') h.push('Allow: 204');
  if (sc === 'fsecure') h.push('Server: F-Secure ICAP Server');
  if (sc === 'connection-close') h.push('Connection: close');
  if (sc === 'opt-body') {
    // A chunked OPTIONS body whose data holds a CRLF (D26).
    sock.send(`${h.join(CRLF)}${CRLF}Encapsulated: opt-body=0${CRLF}${CRLF}6${CRLF}ab${CRLF}cd${CRLF}3;ext=1${CRLF}xyz${CRLF}0${CRLF}${CRLF}`);
    return true;
  }
  h.push('Encapsulated: null-body=0');
  if (sc === 'connection-close') {
    sock.end(`${h.join(CRLF)}${CRLF}${CRLF}`);
    return false;
  }
  sock.send(`${h.join(CRLF)}${CRLF}${CRLF}`);
  return true;
}

async function readRespmod(sock: SimSocket, requestLine: string, headerOrder: string[], headers: Map<string, string>): Promise<IcapRespmodSeen | null> {
  const enc = new Map<string, number>();
  for (const part of (headers.get('encapsulated') ?? '').split(',')) {
    const m = /^\s*([a-z-]+)=(\d+)\s*$/.exec(part);
    if (m) enc.set(m[1]!, Number(m[2]));
  }
  const bodyAt = enc.get('res-body') ?? enc.get('null-body');
  if (bodyAt === undefined) return null;
  const blocks = await sock.bytes(bodyAt);
  if (blocks === null) return null;
  const resAt = enc.get('res-hdr');
  const reqAt = enc.get('req-hdr');
  const reqHdr = reqAt === undefined ? null : blocks.subarray(reqAt, resAt ?? bodyAt).toString('utf8');
  const resHdr = resAt === undefined ? null : blocks.subarray(resAt, bodyAt).toString('utf8');
  const chunks: Buffer[] = [];
  if (enc.has('res-body')) {
    for (;;) {
      const sizeLine = await sock.line(CRLF);
      if (sizeLine === null) return null;
      const size = parseInt(sizeLine, 16);
      if (size === 0) {
        if ((await sock.line(CRLF)) === null) return null;
        break;
      }
      const data = await sock.bytes(size + 2);
      if (data === null) return null;
      chunks.push(data.subarray(0, size));
    }
  }
  return { requestLine, headerOrder, headers, reqHdr, resHdr, body: Buffer.concat(chunks) };
}

function icapHead(status: string, extra: readonly string[], encapsulated: string): string {
  return [status, 'Server: avfleet-icap-sim', 'ISTag: "sim-1"', ...extra, `Encapsulated: ${encapsulated}`, '', ''].join(CRLF);
}

/** ICAP 200 with an HTTP response header block and a chunked body. */
function withHttp(sock: SimSocket, extra: readonly string[], httpStatus: string, httpHeaders: readonly string[], body: Buffer | string, reqBlock?: string): void {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const res = [httpStatus, ...httpHeaders, `Content-Length: ${b.length}`, '', ''].join(CRLF);
  const req = reqBlock ?? '';
  const enc = reqBlock ? `req-hdr=0, res-hdr=${req.length}, res-body=${req.length + res.length}` : `res-hdr=0, res-body=${res.length}`;
  const chunked = b.length > 0 ? Buffer.concat([Buffer.from(`${b.length.toString(16)}${CRLF}`), b, Buffer.from(`${CRLF}0${CRLF}${CRLF}`)]) : Buffer.from(`0${CRLF}${CRLF}`);
  sock.send(Buffer.concat([Buffer.from(icapHead('ICAP/1.0 200 OK', extra, enc) + req + res), chunked]));
}

const BLOCK_PAGE = '<html><body>Blocked: a threat was found</body></html>';

function cleanAnswer(sock: SimSocket, seen: IcapRespmodSeen, extra: readonly string[] = []): void {
  if ((seen.headers.get('allow') ?? '').includes('204')) sock.send(icapHead('ICAP/1.0 204 No Content', extra, 'null-body=0'));
  else withHttp(sock, extra, 'HTTP/1.0 200 OK', ['Content-Type: application/octet-stream'], seen.body);
}

function answerRespmod(sock: SimSocket, sc: IcapScenario, seen: IcapRespmodSeen): void {
  const blocked = (extra: readonly string[], status = 'HTTP/1.0 403 Forbidden', httpHeaders: readonly string[] = ['Content-Type: text/html']): void =>
    withHttp(sock, extra, status, httpHeaders, BLOCK_PAGE);
  const status = (line: string): void => sock.send(`${line}${CRLF}Encapsulated: null-body=0${CRLF}${CRLF}`);
  switch (sc) {
    case 'slow':
      sock.send(`ICAP/1.0 200 OK${CRLF}X-Slow: `);
      sock.drip();
      return;
    case 'reset':
      sock.reset();
      return;
    case 'garbage':
      sock.end(`${GARBAGE_LINE}${CRLF}${CRLF}`);
      return;
    case 'auto':
    case 'connection-close':
    case 'opt-body':
      if (seen.body.includes(EICAR_MARK)) {
        blocked(['X-Infection-Found: Type=0; Resolution=2; Threat=Eicar-Test-Signature;', 'X-Violations-Found: 1']);
      } else cleanAnswer(sock, seen);
      return;
    case 'clean':
      cleanAnswer(sock, seen);
      return;
    case 'squidclamav':
      blocked(['X-Infection-Found: Type=0; Resolution=2; Threat={HEX}EICAR.TEST.3.UNOFFICIAL;'], 'HTTP/1.0 307 Temporary Redirect', ['Location: http://proxy.example/blocked']);
      return;
    case 'kaspersky-virus-id':
      blocked(['X-Virus-ID: HEUR:Backdoor.Java.QRat.gen']);
      return;
    case 'kaspersky-no-threats':
      cleanAnswer(sock, seen, ['X-Virus-ID: no threats', 'X-Response-Info: passed']);
      return;
    case 'mcafee':
      blocked(['X-Virus-ID: EICAR test file']);
      return;
    case 'two-names':
      blocked(['X-Virus-ID: Foo, Bar Baz']);
      return;
    case 'symantec-type2':
      blocked(['X-Infection-Found: Type=2; Resolution=2; Threat=Encrypted container violation;']);
      return;
    case 'symantec-type2-nosemi':
      blocked(['X-Infection-Found: Type=2; Resolution=2; Threat=Container size violation']);
      return;
    case 'symantec-539':
      status('ICAP/1.0 539 Aborted - No AV scanning license');
      return;
    case 'icap-500':
      status('ICAP/1.0 500 Server error');
      return;
    case 'icap-100':
      status('ICAP/1.0 100 Continue');
      return;
    case 'fsecure':
      blocked(['X-FSecure-Scan-Result: infected', 'X-FSecure-Infection-Name: "Malware.W97M/Agent.32584203"']);
      return;
    case 'x-blocked':
      withHttp(sock, [], 'HTTP/1.1 403 Forbidden', ['X-Blocked: Virus found during virus scan', 'Content-Type: text/html'], BLOCK_PAGE);
      return;
    case 'http-403':
      withHttp(sock, [], 'HTTP/1.1 403 Forbidden', ['Content-Type: text/html'], BLOCK_PAGE);
      return;
    case 'http-307':
      withHttp(sock, [], 'HTTP/1.0 307 Temporary Redirect', ['Location: http://proxy.example/blocked'], '');
      return;
    case 'echo-req-hdr':
      withHttp(sock, [], 'HTTP/1.1 403 Forbidden', ['X-Blocked: Virus found during virus scan'], BLOCK_PAGE, `GET http://127.0.0.1/mail HTTP/1.0${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`);
      return;
    case 'http-bad-status':
      withHttp(sock, [], 'HTTP/1.0 500 Internal Server Error', ['Content-Type: text/html'], 'oops');
      return;
    default:
      status('ICAP/1.0 500 Server error');
  }
}
