import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors';

/** Reads the whole request body, refusing (413) as soon as it passes `maxBytes` — never buffering more. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new ApiError('AVF_ERR_TOO_LARGE', `message is ${declared} bytes, over the limit of ${maxBytes} (AVFLEET_MAX_MESSAGE_BYTES)`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) {
      req.resume();
      throw new ApiError('AVF_ERR_TOO_LARGE', `message is over the limit of ${maxBytes} bytes (AVFLEET_MAX_MESSAGE_BYTES)`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}
