import { inflateRawSync, constants as zlibConstants } from 'node:zlib';

/**
 * Inflate raw deflate data to at most `maxBytes`. When the whole output would
 * be larger, the input is cut (halving) until what it gives fits, so the caller
 * still gets the start of the content (enough to read tar headers or local zip
 * headers). Truncated or corrupt input gives what could be decoded. Returns
 * `{ content, complete }`; content is null only when nothing could be decoded.
 */
export function inflateBounded(data: Buffer, maxBytes: number): { content: Buffer | null; complete: boolean } {
  const limit = Math.max(1, maxBytes);
  let input = data;
  for (let attempt = 0; attempt < 24 && input.length > 0; attempt++) {
    try {
      const content = inflateRawSync(input, { maxOutputLength: limit, finishFlush: zlibConstants.Z_SYNC_FLUSH });
      return { content, complete: input.length === data.length };
    } catch (err) {
      // By name, not instanceof: zlib's RangeError comes from Node's own realm (not the same class under jest's vm).
      if ((err as Error | null)?.name !== 'RangeError') return { content: null, complete: false };
      input = input.subarray(0, Math.floor(input.length / 2));
    }
  }
  return { content: null, complete: false };
}
