import { MimeNode as MailsplitNode } from '@zone-eu/mailsplit';
import type { MimeNode } from './mime-node-info';
import type { MimeLimits } from './mime-part';

/** One MIME node of a message with its depth and its body (leaf bodies only), as the splitter saw it. */
export interface CollectedNode {
  readonly node: MimeNode;
  readonly depth: number;
  readonly chunks: Buffer[];
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SP = 0x20;
const TAB = 0x09;
const DASH_DASH = Buffer.from('--', 'latin1');
/** mailsplit's BOUNDARY_LINE_SUFFIX: "--" prefix, "--" suffix, up to 998 SP/HTAB, CRLF. */
const BOUNDARY_LINE_SUFFIX = 2 + 2 + 998 + 2;

/** A delimiter line: 1 next part, 2 end of the current multipart, 3 next part of `owner`, 4 end of `owner` (mailsplit's codes). */
interface Delimiter {
  readonly kind: 1 | 2 | 3 | 4;
  readonly owner: MimeNode;
}

/**
 * mailsplit's MessageSplitter#compareBoundary on the line raw[start, end):
 * `--boundary` or `--boundary--`, then SP/HTAB, then CR* and an optional LF.
 * Only a closing delimiter may end the input without a line ending.
 */
function compareBoundary(raw: Buffer, start: number, end: number, startpos: number, boundary: Buffer): 0 | 1 | 2 {
  const len = end - start;
  if (len < boundary.length + 3 + startpos || len > boundary.length + BOUNDARY_LINE_SUFFIX + startpos) return 0;
  const at = start + startpos + 2;
  for (let k = 0; k < boundary.length; k++) if (raw[at + k] !== boundary[k]) return 0;
  let i = at + boundary.length;
  let result: 1 | 2 = 1;
  if (i < end && raw[i] === DASH) {
    if (i + 1 >= end || raw[i + 1] !== DASH) return 0;
    result = 2;
    i += 2;
  }
  while (i < end && (raw[i] === SP || raw[i] === TAB)) i++;
  if (i === end) return result === 2 ? 2 : 0;
  while (i < end && raw[i] === CR) i++;
  if (i < end && raw[i] === LF) i++;
  return i === end ? result : 0;
}

/**
 * mailsplit's MessageSplitter#checkBoundary for the line raw[start, end) while
 * `node` is the current node: its own boundary first (not in its epilogue),
 * then the boundaries of its open ancestors, nearest first.
 */
function checkBoundary(raw: Buffer, start: number, end: number, node: MimeNode, inEpilogue: boolean): Delimiter | null {
  const len = end - start;
  let startpos = 0;
  if (len >= 1 && (raw[start] === CR || raw[start] === LF)) {
    startpos++;
    if (len >= 2 && raw[start] === CR && raw[start + 1] === LF) startpos++;
  }
  if (len < 4 || raw[start + startpos] !== DASH || raw[start + startpos + 1] !== DASH) return null;
  if (!inEpilogue && node._boundary) {
    const kind = compareBoundary(raw, start, end, startpos, node._boundary);
    if (kind) return { kind, owner: node };
  }
  for (let owner = node._parentBoundaryOwner; owner; owner = owner._parentBoundaryOwner) {
    if (!owner._boundary) continue;
    const kind = compareBoundary(raw, start, end, startpos, owner._boundary);
    if (kind) return { kind: kind === 1 ? 3 : 4, owner };
  }
  return null;
}

function hasOpenBoundary(node: MimeNode, inEpilogue: boolean): boolean {
  if (!inEpilogue && node._boundary) return true;
  for (let owner = node._parentBoundaryOwner; owner; owner = owner._parentBoundaryOwner) if (owner._boundary) return true;
  return false;
}

/** Walks one in-memory message the way mailsplit's Splitter does, jumping from one candidate delimiter line to the next. */
class WellFormedScan {
  readonly nodes: CollectedNode[] = [];
  private readonly byNode = new Map<MimeNode, CollectedNode>();
  private readonly config: { ignoreEmbedded: true; maxHeadSize: number; maxChildNodes: number };
  private readonly maxNodes: number;
  /** Start of the next line to read. */
  pos = 0;

  constructor(private readonly raw: Buffer, private readonly depthBase: number, private readonly limits: MimeLimits) {
    this.maxNodes = limits.maxParts * 2 + 16;
    // The config object mailsplit hands each node (collectNodes' Splitter options).
    this.config = { ignoreEmbedded: true, maxHeadSize: limits.maxHeaderBytes, maxChildNodes: this.maxNodes + 1 };
  }

  /** True when the line starting at `start` begins with `--` or `\r--`, i.e. mailsplit would test it as a delimiter. */
  private looksLikeDelimiter(start: number): boolean {
    const raw = this.raw;
    const at = raw[start] === CR ? start + 1 : start;
    return raw[at] === DASH && raw[at + 1] === DASH;
  }

  /** Start of the first line at or after the line start `from` that begins with `--` or `\r--`; -1 when there is none. */
  private nextCandidateLine(from: number): number {
    const raw = this.raw;
    let p = from;
    for (;;) {
      const q = raw.indexOf(DASH_DASH, p);
      if (q < 0) return -1;
      if (q === 0 || raw[q - 1] === LF) return q;
      if (raw[q - 1] === CR && (q === 1 || raw[q - 2] === LF)) return q - 1;
      p = q + 1;
    }
  }

  private lineEnd(start: number): number {
    const lf = this.raw.indexOf(LF, start);
    return lf < 0 ? this.raw.length : lf + 1;
  }

  /**
   * Read the header block at `pos` into a new mailsplit MimeNode (mailsplit's own
   * header parsing, fed the same lines). Null when mailsplit might do something
   * else: a header line it could take for a delimiter, no blank line before the
   * end of input, a limit reached, a multipart without a usable boundary or a
   * single part with one.
   */
  openNode(parent: MimeNode | false): CollectedNode | null {
    if (this.nodes.length >= this.maxNodes - 1) return null;
    const parentDepth = parent ? this.byNode.get(parent)?.depth : this.depthBase - 1;
    if (parentDepth === undefined || parentDepth + 1 > this.limits.maxDepth) return null;
    const node = new MailsplitNode(parent, this.config);
    const raw = this.raw;
    let start = this.pos;
    for (;;) {
      if (start >= raw.length || this.looksLikeDelimiter(start)) return null;
      const end = this.lineEnd(start);
      if (raw[end - 1] !== LF) return null;
      const endsBlock = node.addHeaderChunk(raw.subarray(start, end));
      if (node.headerCost() > this.limits.maxHeaderBytes) return null;
      start = end;
      if (endsBlock) break;
    }
    node.parseHeaders();
    // What the Splitter does for an attached message when ignoreEmbedded is set.
    if (node.contentType === 'message/rfc822') node.messageNode = false;
    // A multipart without a usable boundary is kept whole; a boundary on a single part still
    // splits it in mailsplit (its body is then its preamble). Both are left to mailsplit.
    if (!node.multipart !== !node._boundary) return null;
    this.pos = start;
    const collected: CollectedNode = { node, depth: parentDepth + 1, chunks: [] };
    this.nodes.push(collected);
    this.byNode.set(node, collected);
    return collected;
  }

  /** The next line at or after `pos` that mailsplit takes for a delimiter while `node` is current. */
  findDelimiter(node: MimeNode, inEpilogue: boolean): { start: number; end: number; delimiter: Delimiter } | null {
    if (!hasOpenBoundary(node, inEpilogue)) return null;
    let from = this.pos;
    for (;;) {
      const start = this.nextCandidateLine(from);
      if (start < 0) return null;
      const end = this.lineEnd(start);
      const delimiter = checkBoundary(this.raw, start, end, node, inEpilogue);
      if (delimiter) return { start, end, delimiter };
      from = end;
    }
  }

  /**
   * The body of a leaf that ends where a delimiter line starts. The line ending
   * before the delimiter belongs to it; mailsplit still reports a body made of
   * one bare line ending when the delimiter opens a next part.
   */
  takeLeafBody(leaf: CollectedNode, delimiterStart: number, opensPart: boolean): void {
    const raw = this.raw;
    const start = this.pos;
    if (delimiterStart <= start) return;
    let end = delimiterStart;
    if (raw[end - 1] === LF) {
      end--;
      if (end > start && raw[end - 1] === CR) end--;
    }
    if (end > start) leaf.chunks.push(raw.subarray(start, end));
    else if (opensPart) leaf.chunks.push(raw.subarray(start, delimiterStart));
  }

  nodeOf(node: MimeNode): CollectedNode | undefined {
    return this.byNode.get(node);
  }
}

/**
 * The node list mailsplit's Splitter (`ignoreEmbedded`, whole message in one
 * write) gives for a well-formed message, found with Buffer.indexOf instead of
 * a JavaScript scan of every line: nodes in order with mailsplit's own
 * MimeNode objects (same headers, multipart, _boundary, parentNode), their
 * depth, and leaf bodies as slices of `raw` (same bytes; the chunking may
 * differ). Returns null when not sure it would match mailsplit (header blocks
 * that hold delimiter-like lines or do not end, multiparts without a usable
 * boundary or never closed, single parts with a boundary parameter, parts
 * closed by an outer delimiter, odd last lines, a limit reached or about to
 * be): the caller then runs mailsplit, which also raises the limit errors.
 */
export function collectWellFormedNodes(raw: Buffer, depthBase: number, limits: MimeLimits): CollectedNode[] | null {
  const scan = new WellFormedScan(raw, depthBase, limits);
  try {
    let current = scan.openNode(false);
    let inEpilogue = false;
    while (current) {
      const { node } = current;
      const found = scan.findDelimiter(node, inEpilogue);
      if (!found) {
        // End of input: fine for a single-part message and after the root's closing delimiter.
        if (node.parentNode) return null;
        if (!node.multipart) {
          if (scan.pos < raw.length) current.chunks.push(raw.subarray(scan.pos));
          return scan.nodes;
        }
        return inEpilogue ? scan.nodes : null;
      }
      const { start, end, delimiter } = found;
      const opensPart = delimiter.kind === 1 || delimiter.kind === 3;
      // On a last line without line ending, mailsplit sees a next-part delimiter leave an unfinished
      // node behind, and tests `\r--` behind the line ending it trimmed off the body (no delimiter then).
      if (raw[end - 1] !== LF && (opensPart || raw[start] === CR)) return null;
      if (delimiter.kind >= 3 && (delimiter.owner !== node.parentNode || (node.multipart && !inEpilogue))) return null;
      if (!node.multipart) scan.takeLeafBody(current, start, opensPart);
      scan.pos = end;
      switch (delimiter.kind) {
        case 1:
        case 3:
          current = scan.openNode(delimiter.owner);
          inEpilogue = false;
          break;
        case 2:
          break;
        case 4:
          current = scan.nodeOf(delimiter.owner) ?? null;
          inEpilogue = true;
          break;
      }
    }
    return null;
  } catch {
    // Header parsing that throws: let mailsplit decide what that means.
    return null;
  }
}
