import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { instreamFrames } from '../phases/raw-instream';
import { serveSimulatedClamd } from './clamd-simulator';

/** A socket stand-in: feed it reads, collect what the simulator ends the connection with. */
class FakeSocket extends EventEmitter {
  ended: string | null = null;
  end(text?: unknown): this {
    this.ended = String(text);
    return this;
  }
  destroy(): this {
    return this;
  }
}

/** Feeds `wire` in reads cut at `cuts`, then waits for the simulated scan time. */
async function exchange(wire: Buffer, cuts: number[]): Promise<{ reply: string | null; scans: number }> {
  const socket = new FakeSocket();
  let scans = 0;
  serveSimulatedClamd(socket as unknown as Socket, 1, () => scans++);
  let from = 0;
  for (const cut of [...cuts, wire.length]) {
    if (cut > from) socket.emit('data', wire.subarray(from, cut));
    from = Math.max(from, cut);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { reply: socket.ended, scans };
}

describe('clamd simulator', () => {
  const body = Buffer.alloc(5000, 0x41);
  // Chunk sizes that put header bytes and the terminator across reads at every position.
  const wire = instreamFrames(body, 700);

  it('answers an INSTREAM once its terminator arrives, however the reads are cut', async () => {
    for (let cut = 1; cut < 40; cut++) {
      const cuts = Array.from({ length: Math.ceil(wire.length / cut) }, (_, i) => i * cut);
      expect(await exchange(wire, cuts)).toEqual({ reply: 'stream: OK\0', scans: 1 });
    }
    expect(await exchange(wire, [])).toEqual({ reply: 'stream: OK\0', scans: 1 });
  });

  it('does not answer before the zero-length chunk', async () => {
    expect(await exchange(wire.subarray(0, wire.length - 1), [3, 11, 500])).toEqual({ reply: null, scans: 0 });
  });

  it('answers PING and VERSION, newline-terminated for n-commands', async () => {
    expect((await exchange(Buffer.from('zPING\0'), [2])).reply).toBe('PONG\0');
    expect((await exchange(Buffer.from('nVERSION\n'), [])).reply).toMatch(/^ClamAV [\d.]+\/\d+\/.*\n$/);
    expect((await exchange(instreamFrames(body, 999, 'nINSTREAM\n'), [5, 10])).reply).toBe('stream: OK\n');
  });
});
