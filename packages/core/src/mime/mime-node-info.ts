import libmime from 'libmime';
import type { SplitterChunk } from '@zone-eu/mailsplit';

/** A MIME node as mailsplit emits it. */
export type MimeNode = Extract<SplitterChunk, { type: 'node' }>;

/** What the headers of one MIME node say (docs/semantics.md §3.2 terms). */
export interface MimeNodeInfo {
  readonly declaredType: string | null;
  readonly charset: string | null;
  readonly encoding: string | null;
  readonly disposition: string | null;
  readonly filename: string | null;
  readonly filenameFromContentType: boolean;
  readonly hasContentId: boolean;
}

type Parsed = ReturnType<typeof libmime.parseHeaderValue>;

function parse(value: string): Parsed | null {
  if (!value) return null;
  try {
    return libmime.parseHeaderValue(value, { stripComments: true });
  } catch {
    return null;
  }
}

/** A parameter's value with RFC 2047 words decoded (RFC 2231 values come decoded already); null when absent or empty. */
function param(parsed: Parsed | null, key: string): string | null {
  const raw = parsed?.params[key];
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  if (Array.isArray(parsed?.decodedParams) && parsed.decodedParams.includes(key)) return raw;
  return decodeHeaderWords(raw);
}

/** Decode RFC 2047 words in a header value; the raw value when that fails. */
export function decodeHeaderWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/**
 * Read the MIME headers of a node. A part without Content-Type is text/plain
 * (message/rfc822 inside multipart/digest); an unusable Content-Type gives no
 * declared type. File name: Content-Disposition `filename`, then Content-Type
 * `name`, then Content-Type `filename`.
 */
export function readNodeInfo(node: MimeNode): MimeNodeInfo {
  const headers = node.headers;
  const get = (key: string): string => (headers ? headers.getFirst(key) : '');
  const ctRaw = get('content-type');
  const ct = parse(ctRaw);
  const cd = parse(get('content-disposition'));
  let declaredType: string | null;
  if (!ctRaw) {
    const parent = node.parentNode;
    declaredType = parent && parent.multipart === 'digest' ? 'message/rfc822' : 'text/plain';
  } else {
    const value = (ct?.value ?? '').trim().toLowerCase();
    declaredType = /^[^/\s]+\/[^/\s]+$/.test(value) ? value : null;
  }
  const cdFilename = param(cd, 'filename');
  const ctFilename = cdFilename === null ? (param(ct, 'name') ?? param(ct, 'filename')) : null;
  const encoding = get('content-transfer-encoding').replace(/\([^)]*\)/g, '').trim().toLowerCase();
  const disposition = (cd?.value ?? '').trim().toLowerCase();
  return {
    declaredType,
    charset: ct?.params.charset ?? null,
    encoding: encoding || null,
    disposition: disposition || null,
    filename: cdFilename ?? ctFilename,
    filenameFromContentType: ctFilename !== null,
    hasContentId: headers ? headers.hasHeader('content-id') : false,
  };
}
