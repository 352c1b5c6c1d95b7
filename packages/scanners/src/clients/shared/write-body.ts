import type { Readable } from 'node:stream';
import type { ScanBody } from '../../scanner';
import type { SocketConnection } from '../../transport/socket-connection';

/** The byte count announced on the wire: the held buffer's length when there is one. */
export function bodySize(body: ScanBody): number {
  return body.buffer ? body.buffer.length : body.size;
}

/**
 * Writes the body on the connection: the held buffer at once, or the body's
 * stream chunk by chunk with backpressure. Write failures reject with the
 * connection's TransportError (retried); a body that cannot be opened rejects
 * with a plain Error (final).
 */
export async function writeBody(conn: SocketConnection, body: ScanBody): Promise<void> {
  if (body.buffer) {
    await conn.write(body.buffer);
    return;
  }
  const source = await openBody(body);
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      await conn.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    }
  } finally {
    source.destroy();
  }
}

/** Opens the body's stream; a failure rejects with a plain Error "cannot open the body to scan: …" (final, not retried). */
export async function openBody(body: ScanBody): Promise<Readable> {
  try {
    return await body.open();
  } catch (e) {
    throw new Error(`cannot open the body to scan: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
