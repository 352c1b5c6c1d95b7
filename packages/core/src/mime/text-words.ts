/** Decode text bytes in the declared charset (UTF-8 when unknown or unsupported). */
export function decodeText(content: Buffer, charset: string | null): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(label, { fatal: false }).decode(content);
  } catch {
    return new TextDecoder('utf-8', { fatal: false }).decode(content);
  }
}

/** Bytes without a declared charset (archive and TNEF file names): UTF-8 when they decode cleanly, else Latin-1. */
export function utf8OrLatin1(bytes: Buffer): string {
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8;
}

/** A NUL-terminated name field (the whole field when it has no NUL), decoded as utf8OrLatin1. */
export function nulTerminatedText(field: Buffer): string {
  const end = field.indexOf(0);
  return utf8OrLatin1(end >= 0 ? field.subarray(0, end) : field);
}

/** Visible text of an HTML document: scripts, styles, comments and tags removed, entities as spaces. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, ' ');
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}_'’-]*/gu;

/** Words of a text part (runs of letters and digits), the quantity `text_part_min_words` compares against. */
export function countWords(content: Buffer, charset: string | null, isHtml: boolean): number {
  const text = decodeText(content, charset);
  const visible = isHtml ? htmlToText(text) : text;
  let count = 0;
  WORD.lastIndex = 0;
  while (WORD.exec(visible) !== null) count++;
  return count;
}
