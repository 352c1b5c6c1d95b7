import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rawInstream } from '../phases/raw-instream';
import { splitByBoundary } from './split-by-boundary';
import { splitDecodeHash, type DecodedLeaf } from './split-decode-hash';

/** `pipeline` splits with Buffer.indexOf (splitByBoundary), `pipeline-mailsplit` with mailsplit. */
export type FloorServerMode = 'receive' | 'pipeline' | 'pipeline-mailsplit';

/** The request body in one Buffer: allocated once from Content-Length, each chunk copied in once. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const sized = Number.isInteger(declared) && declared >= 0;
    const out = sized ? Buffer.allocUnsafe(declared) : null;
    const chunks: Buffer[] = [];
    let at = 0;
    req.on('data', (c: Buffer) => {
      if (out && at + c.length <= out.length) at += c.copy(out, at);
      else chunks.push(c);
    });
    req.on('end', () => resolve(out && chunks.length === 0 ? out.subarray(0, at) : Buffer.concat(out ? [out.subarray(0, at), ...chunks] : chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, action: string): void {
  const body = JSON.stringify({ state: 'done', action });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The whole message path in one process, minimal: receive, split/decode/hash, INSTREAM of
 * every attachment not seen before (verdicts kept in a Map by SHA-256, the cache), answer.
 */
async function scanMessage(leaves: readonly DecodedLeaf[], clamd: { host: string; port: number }, verdicts: Map<string, boolean>): Promise<string> {
  const found = await Promise.all(
    leaves
      .filter((l) => l.filename !== null)
      .map(async (l) => {
        const known = verdicts.get(l.sha256);
        if (known !== undefined) return known;
        const reply = await rawInstream(clamd.host, clamd.port, l.content);
        const infected = reply.endsWith('FOUND');
        verdicts.set(l.sha256, infected);
        return infected;
      }),
  );
  return found.includes(true) ? 'reject' : 'no action';
}

/**
 * A bare node:http server on 127.0.0.1:`port`: `receive` reads each POSTed message into one
 * Buffer and answers a small JSON; `pipeline` also scans it (scanMessage). Resolves once listening.
 */
export function serveFloor(mode: FloorServerMode, port: number, clamd: { host: string; port: number } | null): Promise<void> {
  const verdicts = new Map<string, boolean>();
  const server = createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        if (mode === 'receive' || !clamd) return answer(res, body.length > 0 ? 'no action' : 'empty');
        const leaves = mode === 'pipeline' ? splitByBoundary(body) : await splitDecodeHash(body);
        answer(res, await scanMessage(leaves, clamd, verdicts));
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      },
    ).catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });
  server.keepAliveTimeout = 60000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}
