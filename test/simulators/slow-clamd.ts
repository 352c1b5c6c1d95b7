import { EICAR_TEST_STRING } from '@avfleet/core';
import { GARBAGE_LINE, startSimulator, type SimSocket, type Simulator } from './simulator-server';

/**
 * A tiny clamd (zINSTREAM / zVERSION / zPING over TCP) for fault tests: it answers
 * like clamd — `stream: OK`, or `stream: Eicar-Test-Signature FOUND` when the
 * stream holds the EICAR string — but only after `delayMs`, or it misbehaves at
 * the point where the scan reply is due:
 *
 * - `ok`      answer after `delayMs` (0 = at once); a slow scanner that holds jobs
 * - `refuse`  accept the connection and close it at once, before any reply
 * - `silent`  read the request and never answer (past any timeout)
 * - `reset`   read the request, then close with a TCP reset
 * - `garbage` read the request, then answer a line that is not clamd's protocol
 * - `drip`    read the request, then send one byte every 50 ms and never a NUL
 * - `hang`    accept and never answer anything, VERSION included
 *
 * VERSION is answered in every scenario except `refuse` and `hang`, so that the scan itself —
 * not the signature-version lookup — meets the fault.
 */
export type ClamdScenario = 'ok' | 'refuse' | 'silent' | 'reset' | 'garbage' | 'drip' | 'hang';

export const SIM_EICAR_NAME = 'Eicar-Test-Signature';
export const SIM_CLAMD_VERSION = 'ClamAV 1.0.0/27000/Mon Jan  1 00:00:00 2024';

export interface SlowClamd extends Simulator<ClamdScenario> {
  /** Scans whose reply is due but not yet sent (held jobs). */
  readonly pending: number;
  /** INSTREAM scans that received a full stream. */
  readonly streams: number;
  /** Changes the reply delay of the next scans. */
  setDelay(ms: number): void;
  /** Changes what VERSION answers (a signature update, as clamd's after a RELOAD of a newer database). */
  setVersion(version: string): void;
  /** From now on a stream holding `bytes` is answered `<name> FOUND` (a signature added to the database). */
  addSignature(bytes: Buffer, name: string): void;
}

export async function startSlowClamd(opts: { scenario?: ClamdScenario; delayMs?: number } = {}): Promise<SlowClamd> {
  let delayMs = opts.delayMs ?? 0;
  let version = SIM_CLAMD_VERSION;
  const signatures: { readonly bytes: Buffer; readonly name: string }[] = [];
  let pending = 0;
  let streams = 0;
  const sim = await startSimulator<ClamdScenario>(opts.scenario ?? 'ok', async (sock, scenario) => {
    if (scenario === 'refuse') {
      sock.reset();
      return;
    }
    const command = await sock.line('\0');
    if (command === null || scenario === 'hang') return;
    if (command === 'zVERSION' || command === 'nVERSION') {
      sock.end(`${version}\0`);
      return;
    }
    if (command === 'zPING' || command === 'nPING') {
      sock.end('PONG\0');
      return;
    }
    if (command !== 'zINSTREAM') {
      sock.end(`UNKNOWN COMMAND\0`);
      return;
    }
    const body = await readStream(sock);
    if (body === null) return;
    streams += 1;
    await reply(sock, scenario, body);
  });

  async function reply(sock: SimSocket, scenario: ClamdScenario, body: Buffer): Promise<void> {
    switch (scenario) {
      case 'silent':
        return; // keeps the connection open and says nothing
      case 'reset':
        sock.reset();
        return;
      case 'garbage':
        sock.end(`${GARBAGE_LINE}\0`);
        return;
      case 'drip':
        sock.drip(50, 'x');
        return;
      default: {
        pending += 1;
        try {
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        } finally {
          pending -= 1;
        }
        const found = body.includes(Buffer.from(EICAR_TEST_STRING, 'latin1')) ? SIM_EICAR_NAME : signatures.find((sig) => body.includes(sig.bytes))?.name;
        sock.end(found ? `stream: ${found} FOUND\0` : 'stream: OK\0');
      }
    }
  }

  // defineProperties, not Object.assign: the counters must stay live getters.
  return Object.defineProperties(sim, {
    pending: { get: () => pending },
    streams: { get: () => streams },
    setDelay: { value: (ms: number) => { delayMs = ms; } },
    setVersion: { value: (v: string) => { version = v; } },
    addSignature: { value: (bytes: Buffer, name: string) => { signatures.push({ bytes, name }); } },
  }) as SlowClamd;
}

/** Reads INSTREAM chunks (4-byte big-endian length, then data) up to the zero-length end mark. */
async function readStream(sock: SimSocket): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  for (;;) {
    const header = await sock.bytes(4);
    if (header === null) return null;
    const n = header.readUInt32BE(0);
    if (n === 0) return Buffer.concat(chunks);
    const data = await sock.bytes(n);
    if (data === null) return null;
    chunks.push(Buffer.from(data));
  }
}
