import { connect } from 'node:net';

const CHUNK = 64 * 1024;

/** One clamd `zINSTREAM` over a new TCP connection; resolves with the reply line. */
export function rawInstream(host: string, port: number, body: Buffer, timeoutMs = 60000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8').replace(/[\0\n]+$/, '');
      if (err && text === '') reject(err);
      else resolve(text);
    };
    const timer = setTimeout(() => finish(new Error(`clamd did not answer INSTREAM within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(instreamFrames(body, CHUNK));
    });
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (d.includes(0)) finish(null);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('clamd closed the connection without an answer')));
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

/** The bytes of one clamd INSTREAM exchange: the command, `body` in length-prefixed chunks of `chunk` bytes, the zero-length terminator. */
export function instreamFrames(body: Buffer, chunk: number, command = 'zINSTREAM\0'): Buffer {
  const frames: Buffer[] = [Buffer.from(command, 'latin1')];
  for (let off = 0; off < body.length; off += chunk) {
    const part = body.subarray(off, off + chunk);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    frames.push(len, part);
  }
  frames.push(Buffer.alloc(4));
  return Buffer.concat(frames);
}
