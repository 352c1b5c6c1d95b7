import type { Transform } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import type { SplitterChunk } from '@zone-eu/mailsplit';
import { listArchiveMembers } from './archive-listing';
import { collectWellFormedNodes } from './collect-well-formed-nodes';
import type { CollectedNode } from './collect-well-formed-nodes';
import { DECODABLE_IMAGE_EXTENSIONS, detectType } from './detect-type';
import { MimeError } from './mime-error';
import { decodeHeaderWords, readNodeInfo } from './mime-node-info';
import type { MimeNode, MimeNodeInfo } from './mime-node-info';
import type { BodyRange, BodyShape, MessageHeaderSummary, MimeLimits, MimePart, OpenedContainer, PartOrigin, SplitMessage } from './mime-part';
import { DEFAULT_MIME_LIMITS } from './mime-part';
import { DECODED_FACTS_MEMO, encodedBodyKey, type DecodedFacts } from './decoded-facts-memo';
import { PartBytes } from './part-bytes';
import { countWords } from './text-words';
import { readTnefAttachments } from './tnef-attachments';
import { decodeBase64, decodeTransferEncoding } from './transfer-decoding';
import { findUuBlocks } from './uudecode';

interface WalkState {
  /** The message handed to the splitter: part ranges are offsets in it. */
  readonly root: Buffer;
  readonly limits: MimeLimits;
  readonly parts: MimePart[];
  readonly containers: OpenedContainer[];
  readonly textWordCounts: number[];
}

function depthOf(node: MimeNode): number {
  let depth = 0;
  for (let p = node.parentNode; p; p = p.parentNode) depth++;
  return depth;
}

function tooManyParts(limits: MimeLimits): MimeError {
  return new MimeError(
    'AVF_ERR_MIME_TOO_MANY_PARTS',
    `message has more than ${limits.maxParts} MIME parts; raise AVFLEET_MIME_MAX_PARTS if such mail is legitimate`,
  );
}

/** Run mailsplit over one message (attached messages are left closed: we open them ourselves). */
function collectNodesWithMailsplit(raw: Buffer, depthBase: number, limits: MimeLimits): Promise<CollectedNode[]> {
  return new Promise((resolve, reject) => {
    const maxNodes = limits.maxParts * 2 + 16;
    const splitter = new Splitter({ ignoreEmbedded: true, maxHeadSize: limits.maxHeaderBytes, maxChildNodes: maxNodes + 1 });
    const nodes: CollectedNode[] = [];
    const byNode = new Map<MimeNode, CollectedNode>();
    let failed = false;
    const fail = (err: MimeError): void => {
      if (failed) return;
      failed = true;
      splitter.destroy();
      reject(err);
    };
    const stream = splitter as unknown as Transform;
    splitter.on('data', (chunk: SplitterChunk) => {
      if (failed) return;
      if (chunk.type === 'node') {
        const depth = depthBase + depthOf(chunk);
        if (depth > limits.maxDepth) {
          fail(new MimeError('AVF_ERR_MIME_TOO_DEEP', `MIME nesting deeper than ${limits.maxDepth} levels; raise AVFLEET_MIME_MAX_DEPTH if such mail is legitimate`));
          return;
        }
        if (nodes.length >= maxNodes) return fail(tooManyParts(limits));
        const collected: CollectedNode = { node: chunk, depth, chunks: [] };
        nodes.push(collected);
        byNode.set(chunk, collected);
        return;
      }
      const owner = chunk.node ? byNode.get(chunk.node) : undefined;
      if (!owner || !chunk.value || chunk.value.length === 0) return;
      // Leaf bodies, and the body of a multipart that has no usable boundary (kept as a leaf).
      if (chunk.type === 'body' || (owner.node.multipart && !owner.node._boundary)) owner.chunks.push(chunk.value);
    });
    stream.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'EMAXLEN' && /child nodes/i.test(err.message)) return fail(tooManyParts(limits));
      if (err.code === 'EMAXLEN') {
        return fail(new MimeError('AVF_ERR_MIME_HEADERS_TOO_LARGE', `a MIME header block is larger than ${limits.maxHeaderBytes} bytes; raise AVFLEET_MIME_MAX_HEADER_BYTES if such mail is legitimate`, { cause: err }));
      }
      fail(new MimeError('AVF_ERR_MIME_PARSE', `cannot split the message into MIME parts: ${err.message}`, { cause: err }));
    });
    stream.on('end', () => {
      if (!failed) resolve(nodes);
    });
    splitter.end(raw);
  });
}

/**
 * The message's MIME nodes: found with Buffer.indexOf when the message is
 * well-formed (same result, without mailsplit's per-line scan), else by mailsplit.
 */
function collectNodes(raw: Buffer, depthBase: number, limits: MimeLimits): Promise<CollectedNode[]> {
  const nodes = collectWellFormedNodes(raw, depthBase, limits);
  return nodes ? Promise.resolve(nodes) : collectNodesWithMailsplit(raw, depthBase, limits);
}

function isLeaf(node: MimeNode): boolean {
  return !node.multipart || !node._boundary;
}

/** Text parts (word counts, uuencoded blocks) are plain/html bodies that are not attachments. */
function isTextInfo(info: MimeNodeInfo): boolean {
  return (info.declaredType === 'text/plain' || info.declaredType === 'text/html') && info.disposition !== 'attachment';
}

/** The facts of decoded bytes: magic-byte type and archive listing (the SHA-256 stays lazy). */
function factsOfContent(state: WalkState, content: Buffer, filename: string | null): Omit<DecodedFacts, 'sha256'> {
  const detected = detectType(content);
  const listing = content.length > 0 ? listArchiveMembers(content, { name: filename, limits: state.limits.archive }) : null;
  return {
    size: content.length,
    detectedExt: detected?.ext ?? null,
    detectedType: detected?.mime ?? null,
    archiveMembers: listing?.members ?? [],
    archiveEncrypted: listing?.encrypted ?? false,
    archiveTruncated: listing?.truncated ?? false,
    archiveLimit: listing?.limit ?? null,
  };
}

/**
 * Where `chunks` lie in the root message when they are consecutive views of its own memory
 * (the splitter's slices of it, also inside an attached message that was not encoded); null
 * when not (copied or decoded bytes, no bytes).
 */
function rangeOf(root: Buffer, chunks: readonly Buffer[], encoding: string | null): BodyRange | null {
  if (chunks.length === 0) return null;
  const offset = chunks[0]!.byteOffset - root.byteOffset;
  let end = offset;
  for (const c of chunks) {
    if (c.buffer !== root.buffer || c.byteOffset - root.byteOffset !== end) return null;
    end += c.length;
  }
  return offset >= 0 && end <= root.length && end > offset ? { offset, length: end - offset, encoding } : null;
}

type PartFields = { index: string; origin: PartOrigin; info: MimeNodeInfo; filename: string | null; range: BodyRange | null };

function buildPart(state: WalkState, fields: PartFields & { content: Buffer }): MimePart {
  return addPart(state, fields, factsOfContent(state, fields.content, fields.filename), new PartBytes(fields.content, null));
}

function addPart(
  state: WalkState,
  fields: PartFields,
  facts: Omit<DecodedFacts, 'sha256'>,
  bytes: PartBytes,
): MimePart {
  if (state.parts.length >= state.limits.maxParts) throw tooManyParts(state.limits);
  const { info } = fields;
  const isImage = (info.declaredType?.startsWith('image/') ?? false) && facts.detectedExt !== null && DECODABLE_IMAGE_EXTENSIONS.has(facts.detectedExt);
  const isAttachment = info.disposition === 'attachment' || info.filenameFromContentType || (fields.filename !== null && !isImage && !info.hasContentId);
  const isText = isTextInfo(info);
  const part: MimePart = {
    index: fields.index,
    origin: fields.origin,
    filename: fields.filename,
    filenameFromContentType: info.filenameFromContentType,
    declaredType: info.declaredType,
    disposition: info.disposition,
    detectedExt: facts.detectedExt,
    detectedType: facts.detectedType,
    isAttachment,
    isText,
    isImage,
    hasContentId: info.hasContentId,
    range: fields.range,
    get content(): Buffer {
      return bytes.content;
    },
    get sha256(): string {
      return bytes.sha256;
    },
    size: facts.size,
    words: isText ? countWords(bytes.content, info.charset, info.declaredType === 'text/html') : null,
    archiveMembers: facts.archiveMembers,
    archiveEncrypted: facts.archiveEncrypted,
    archiveTruncated: facts.archiveTruncated,
    archiveLimit: facts.archiveLimit,
  };
  state.parts.push(part);
  if (part.words !== null) state.textWordCounts.push(part.words);
  return part;
}

/**
 * A base64 attachment (not text, not an attached message): its facts come from the memo
 * when the same encoded bytes were seen before, and then it is decoded only if its content
 * is read (to be stored for a scan). Otherwise it is decoded now and its facts remembered
 * (TNEF excepted: its derived parts need the bytes).
 */
function addBase64Attachment(state: WalkState, fields: PartFields, chunks: readonly Buffer[]): MimePart {
  const key = encodedBodyKey(chunks, fields.filename, state.limits.archive);
  const known = DECODED_FACTS_MEMO.get(key);
  if (known) return addPart(state, fields, known, new PartBytes(() => decodeBase64(chunks), known.sha256));
  const content = decodeBase64(chunks);
  const facts = factsOfContent(state, content, fields.filename);
  const bytes = new PartBytes(content, null);
  const part = addPart(state, fields, facts, bytes);
  if (facts.detectedExt !== 'tnef') DECODED_FACTS_MEMO.set(key, { ...facts, sha256: bytes.sha256 });
  return part;
}

const DERIVED_INFO: MimeNodeInfo = {
  declaredType: null, charset: null, encoding: null, disposition: null, filename: null, filenameFromContentType: false, hasContentId: false,
};

/** uuencoded blocks of a text part and TNEF attachments become parts `<index>.1`, `<index>.2`, … */
function addDerivedParts(state: WalkState, part: MimePart): void {
  let derived: { filename: string | null; content: Buffer }[] = [];
  let origin: PartOrigin = 'uuencode';
  if (part.isText) derived = findUuBlocks(part.content, state.limits.maxParts);
  else if (part.detectedExt === 'tnef') {
    derived = readTnefAttachments(part.content, state.limits.maxParts);
    origin = 'tnef';
  }
  derived.forEach((d, i) => buildPart(state, { index: `${part.index}.${i + 1}`, origin, info: DERIVED_INFO, content: d.content, filename: d.filename, range: null }));
}

async function walkMessage(state: WalkState, raw: Buffer, prefix: string, depthBase: number): Promise<MessageHeaderSummary> {
  const nodes = await collectNodes(raw, depthBase, state.limits);
  let leafNumber = 0;
  for (const { node, depth, chunks } of nodes) {
    if (!isLeaf(node)) continue;
    leafNumber++;
    const index = `${prefix}${leafNumber}`;
    const info = readNodeInfo(node);
    const container = info.declaredType === 'message/rfc822' || info.declaredType === 'message/global';
    if (info.encoding === 'base64' && !container && !isTextInfo(info)) {
      const part = addBase64Attachment(state, { index, origin: 'mime', info, filename: info.filename, range: rangeOf(state.root, chunks, info.encoding) }, chunks);
      addDerivedParts(state, part);
      continue;
    }
    const { content, uuFilename } = decodeTransferEncoding(chunks, info.encoding);
    const filename = info.filename ?? uuFilename;
    if (container && content.length > 0) {
      if (depth + 1 > state.limits.maxDepth) {
        throw new MimeError('AVF_ERR_MIME_TOO_DEEP', `attached messages nested deeper than ${state.limits.maxDepth} levels; raise AVFLEET_MIME_MAX_DEPTH if such mail is legitimate`);
      }
      state.containers.push({ index, kind: 'rfc822', filename });
      await walkMessage(state, content, `${index}.`, depth + 1);
      continue;
    }
    const part = buildPart(state, { index, origin: 'mime', info, content, filename, range: rangeOf(state.root, chunks, info.encoding) });
    addDerivedParts(state, part);
  }
  const root = nodes[0]?.node.headers;
  const header = (key: string): string | null => {
    const value = root ? root.getFirst(key) : '';
    return value ? decodeHeaderWords(value) : null;
  };
  return { messageId: header('message-id'), subject: header('subject'), from: header('from') };
}

/**
 * Split a raw message into its leaf parts (docs/interfaces.md §6.2): attached
 * messages are opened and their leaves numbered under the attachment's index
 * (`2.1`), uuencoded blocks in text parts and TNEF attachments become parts of
 * their own (`1.1`), content is decoded (base64, quoted-printable, uuencode).
 * Rejects with a MimeError when a limit is exceeded.
 */
export async function splitMessage(raw: Buffer, limits: Partial<MimeLimits> = {}): Promise<SplitMessage> {
  const state: WalkState = { root: raw, limits: { ...DEFAULT_MIME_LIMITS, ...limits }, parts: [], containers: [], textWordCounts: [] };
  const headers = await walkMessage(state, raw, '', 0);
  return { shape: 'message', parts: state.parts, textWordCounts: state.textWordCounts, containers: state.containers, headers, rawSize: raw.length };
}

/** A file is one nameless attachment: its type and archive listing come from its bytes alone. */
const FILE_INFO: MimeNodeInfo = { ...DERIVED_INFO, disposition: 'attachment' };

/**
 * One file as a message of one part (`1`), without a MIME split: every rule sees all of its
 * bytes, and part filters apply as to an attachment without a name (detected type, archive
 * members). No uuencode or TNEF parts are derived from it, and it has no headers and no text.
 */
export function splitAsSingleFile(raw: Buffer, limits: Partial<MimeLimits> = {}): SplitMessage {
  const state: WalkState = { root: raw, limits: { ...DEFAULT_MIME_LIMITS, ...limits }, parts: [], containers: [], textWordCounts: [] };
  buildPart(state, { index: '1', origin: 'mime', info: FILE_INFO, content: raw, filename: null, range: rangeOf(raw, [raw], null) });
  return { shape: 'file', parts: state.parts, textWordCounts: [], containers: [], headers: { messageId: null, subject: null, from: null }, rawSize: raw.length };
}

/** The bytes as the given shape: a message split into its leaves, or one file. */
export function splitAs(shape: BodyShape, raw: Buffer, limits: Partial<MimeLimits> = {}): Promise<SplitMessage> {
  return shape === 'file' ? Promise.resolve(splitAsSingleFile(raw, limits)) : splitMessage(raw, limits);
}
