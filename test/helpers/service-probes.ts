import { connect, type Socket } from 'node:net';

/** Where a clamd listens: TCP host/port or a unix socket path. */
export type ClamdTarget = { host: string; port: number } | { socketPath: string };

function openSocket(target: ClamdTarget): Socket {
  return 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
}

/** A clamd reply as text, trailing NUL/newline removed. */
function replyText(chunks: readonly Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8').replace(/[\0\n]+$/, '');
}

/**
 * Sends one null-terminated clamd command (`zPING`, `zVERSION`, `zRELOAD`…; pass it
 * without the `z`) and resolves with the reply, trailing NUL/newline removed.
 */
export function clamdCommand(target: ClamdTarget, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = openSocket(target);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`clamd did not answer ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`z${command}\0`));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (d.includes(0)) socket.end();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(replyText(chunks));
    });
  });
}

/** True when clamd answers `PONG` to `zPING`. Never throws. */
export async function clamdPing(target: ClamdTarget, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await clamdCommand(target, 'PING', timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** Sends `body` to clamd with `zINSTREAM` in chunks and resolves with the reply line. */
export function clamdInstream(target: ClamdTarget, body: Buffer, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = openSocket(target);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`clamd did not answer INSTREAM within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write('zINSTREAM\0');
      for (let off = 0; off < body.length; off += 64 * 1024) {
        const part = body.subarray(off, off + 64 * 1024);
        const len = Buffer.alloc(4);
        len.writeUInt32BE(part.length);
        socket.write(len);
        socket.write(part);
      }
      socket.write(Buffer.alloc(4));
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(replyText(chunks));
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(replyText(chunks));
    });
  });
}

/** Raw ICAP reply: status line plus lower-cased headers. */
export interface IcapReply {
  statusLine: string;
  statusCode: number;
  headers: Record<string, string>;
  raw: string;
}

/** Sends an ICAP `OPTIONS` request for `serviceUrl` (icap://host:port/service). */
export function icapOptions(serviceUrl: string, timeoutMs = 2000): Promise<IcapReply> {
  const url = new URL(serviceUrl);
  const request =
    `OPTIONS ${serviceUrl} ICAP/1.0\r\nHost: ${url.host}\r\nEncapsulated: null-body=0\r\n\r\n`;
  return icapExchange(url, Buffer.from(request, 'latin1'), timeoutMs);
}

/** Sends raw ICAP request bytes and parses the reply head (the body is kept in `raw`). */
export function icapExchange(url: URL, request: Buffer, timeoutMs = 5000): Promise<IcapReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port || 1344), url.hostname);
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = buf.toString('latin1');
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        reject(err ?? new Error(`incomplete ICAP reply from ${url.host}: ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const [statusLine = '', ...lines] = raw.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ statusLine, statusCode: Number(statusLine.split(' ')[1]), headers, raw });
    };
    const timer = setTimeout(() => finish(new Error(`ICAP server ${url.host} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      // OPTIONS replies and 204s have no body; replies with a chunked body end with 0-chunk.
      const enc = /\r\nEncapsulated:([^\r]*)/i.exec(text.slice(0, headEnd))?.[1] ?? '';
      if (/null-body/.test(enc) || !/-body/.test(enc) || text.endsWith('\r\n0\r\n\r\n')) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
  });
}

/** True when a TCP connection to host:port is accepted (the connection is closed at once). */
export function tcpPortAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, host);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
