import http from 'node:http';
import net from 'node:net';
import { hostHeader, httpRequest } from './http-request';

/** A raw TCP server: `onConnection` writes whatever bytes the test needs. */
async function rawServer(onConnection: (s: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/x`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
const reply = (s: net.Socket, text: string): void => {
  s.once('data', () => s.end(text));
};

describe('httpRequest', () => {
  it('resolves any HTTP status with headers and body, sending the given headers and body', async () => {
    let got = '';
    const srv = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        got = `${req.method} ${req.url} ${req.headers['x-a']} ${b}`;
        res.writeHead(418, 'Teapot', { 'X-B': 'y' }).end('short and stout');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const res = await httpRequest({ url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/p?q=1`, method: 'POST', headers: { 'X-A': 'z' }, body: 'data', deadlineMs: Date.now() + 2000 });
      expect(res).toMatchObject({ status: 418, statusText: 'Teapot', body: Buffer.from('short and stout') });
      expect(res.headers['x-b']).toBe('y');
      expect(got).toBe('POST /p?q=1 z data');
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('times out once per attempt even when the server keeps dripping bytes', async () => {
    const srv = await rawServer((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nX-Slow: ');
        const t = setInterval(() => s.write('x'), 30);
        s.on('close', () => clearInterval(t));
      }),
    );
    try {
      const started = Date.now();
      await expect(httpRequest({ url: srv.url, deadlineMs: started + 300 })).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_TIMEOUT' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(1600);
    } finally {
      await srv.close();
    }
  });

  it('rejects a reset, garbage, a truncated body and an oversized body as transport errors', async () => {
    const cases: [(s: net.Socket) => void, string, number?][] = [
      [(s) => s.once('data', () => s.resetAndDestroy()), 'AVF_ERR_TRANSPORT_RESET'],
      [(s) => reply(s, 'Hello? not HTTP\r\n\r\n'), 'AVF_ERR_TRANSPORT_RESET'],
      [(s) => reply(s, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 'AVF_ERR_TRANSPORT_CLOSED'],
      [(s) => reply(s, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789'), 'AVF_ERR_TRANSPORT_RESET', 5],
    ];
    for (const [behave, code, max] of cases) {
      const srv = await rawServer(behave);
      try {
        await expect(httpRequest({ url: srv.url, deadlineMs: Date.now() + 2000, ...(max ? { maxBodyBytes: max } : {}) })).rejects.toMatchObject({ code });
      } finally {
        await srv.close();
      }
    }
  });

  it('rejects a refused connection with a connect error naming the server', async () => {
    const srv = await rawServer(() => undefined);
    const url = srv.url;
    await srv.close();
    await expect(httpRequest({ url, deadlineMs: Date.now() + 2000 })).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_CONNECT', server: new URL(url).host });
  });

  it('stops at once when the caller aborts', async () => {
    const srv = await rawServer(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    try {
      await expect(httpRequest({ url: srv.url, deadlineMs: Date.now() + 5000, signal: ac.signal })).rejects.toMatchObject({ code: 'AVF_ERR_TRANSPORT_TIMEOUT' });
    } finally {
      await srv.close();
    }
  });

  it('formats Host headers (port only when not standard, IPv6 bracketed)', () => {
    expect(hostHeader('10.0.0.8', 9999, 'http')).toBe('10.0.0.8:9999');
    expect(hostHeader('10.0.0.8', 80, 'http')).toBe('10.0.0.8');
    expect(hostHeader('::1', 443, 'https')).toBe('[::1]');
    expect(hostHeader('2001:db8::7', 9999, 'http')).toBe('[2001:db8::7]:9999');
  });
});
