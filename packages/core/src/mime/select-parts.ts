import { createHash } from 'node:crypto';
import type { Rule } from '@avfleet/config';
import { AV_CHECK_FALSE_EXTENSIONS } from './detect-type';
import type { BodyRange, MimePart, SplitMessage } from './mime-part';
import { extFilterMatches, extensions, regexFilterMatches } from './part-filters';
import type { PartFilters } from './part-filters';

/** The 68-byte EICAR test file (docs/semantics.md §3.4), no trailing newline. */
export const EICAR_TEST_STRING = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** The rule options selection reads. */
export type SelectionRule = Pick<
  Rule,
  'scanMimeParts' | 'scanTextMime' | 'scanImageMime' | 'filters' | 'textPartMinWords' | 'maxSize' | 'minSize' | 'dynamicScan' | 'action' | 'eicarFakePattern'
>;

/** Message state `dynamic_scan` looks at (docs/semantics.md §4). */
export interface SelectionContext {
  /** The message's current score (the `Score` request header); 0 when absent. */
  readonly score?: number;
  /** Score threshold of the `reject` action. */
  readonly rejectThreshold: number;
  /** Some module already set a pre-result and the action computed now is `reject`. */
  readonly forcedRejectAlready?: boolean;
}

export type GateName = 'max_size' | 'min_size' | 'text_part_min_words' | 'dynamic_scan';
/** docs/interfaces.md §3 `skipped` reasons this module can give (`whitelist_ip` is decided elsewhere). */
export type SelectionSkip = 'size' | 'no_parts' | 'dynamic_scan';

export interface SelectedBody {
  /** Part index (`1`, `2.1`), or null for the whole message. */
  readonly partIndex: string | null;
  /** SHA-256 (hex) of the original bytes: the cache key stays that of the original content. */
  readonly sha256: string;
  /** Bytes to send to the scanner (EICAR when `eicar_fake_pattern` matched). */
  readonly content: Buffer;
  readonly filename: string | null;
  readonly contentType: string | null;
  readonly detectedType: string | null;
  /** Length of `content` (what the size gates compare). */
  readonly size: number;
  readonly fakeEicar: boolean;
  /** Where the original bytes lie in the raw message (MimePart.range); null for the whole message and parts that are no plain range. */
  readonly range: BodyRange | null;
}

export interface GatedBody {
  readonly body: SelectedBody;
  readonly gate: GateName;
}

export interface BodySelection {
  /** Bodies that pass every gate: look each up in the cache, scan on a miss. */
  readonly bodies: readonly SelectedBody[];
  /**
   * Bodies selected but stopped by a gate. docs/semantics.md §4: a cached verdict
   * for them is still applied; without one they produce nothing.
   */
  readonly gated: readonly GatedBody[];
  /** Set when no body passes the gates (or none was selected): the rule's `skipped` reason when nothing is cached either. */
  readonly skipped: SelectionSkip | null;
}

/** Digests of raw messages already hashed: every whole-message rule shares one SHA-256 (a part keeps its own, MimePart.sha256). */
const digests = new WeakMap<Buffer, string>();

function sha256(buf: Buffer): string {
  let digest = digests.get(buf);
  if (digest === undefined) {
    digest = createHash('sha256').update(buf).digest('hex');
    digests.set(buf, digest);
  }
  return digest;
}

/** The part's content is exactly the rule's eicar_fake_pattern (UTF-8); the size is compared first, so other parts are not decoded. */
function isFakeEicar(pattern: string | null, part: MimePart): boolean {
  return pattern !== null && part.size === Buffer.byteLength(pattern, 'utf8') && part.content.equals(Buffer.from(pattern, 'utf8'));
}

/** docs/semantics.md §3.2, first "yes" wins. */
export function isPartSelected(rule: SelectionRule, part: MimePart): boolean {
  const filters: PartFilters | null = rule.filters;
  if (filters) {
    if (part.filename !== null) {
      if (extFilterMatches(filters, extensions(part.filename))) return true;
      if (regexFilterMatches(filters, part.filename)) return true;
    }
    if (part.declaredType !== null && regexFilterMatches(filters, part.declaredType)) return true;
    if (part.detectedExt !== null) {
      if (extFilterMatches(filters, [part.detectedExt])) return true;
      if (part.detectedType !== null && regexFilterMatches(filters, part.detectedType)) return true;
    }
    for (const member of part.archiveMembers.slice(0, 1000)) {
      if (extFilterMatches(filters, extensions(member))) return true;
      if (regexFilterMatches(filters, member)) return true;
    }
  }
  if (rule.scanTextMime && rule.textPartMinWords !== null && part.isText && (part.words ?? 0) >= rule.textPartMinWords) return true;
  if (rule.scanImageMime && part.isImage) return true;
  if (!filters) {
    const checkable = part.isAttachment && (!part.isImage || rule.scanImageMime);
    if (part.detectedExt !== null) {
      if (!AV_CHECK_FALSE_EXTENSIONS.has(part.detectedExt) || checkable) return true;
    } else if (checkable) return true;
  }
  return false;
}

function partBody(rule: SelectionRule, part: MimePart): SelectedBody {
  const fake = isFakeEicar(rule.eicarFakePattern, part);
  return {
    partIndex: part.index,
    sha256: part.sha256,
    // Read only when the body is scanned: a part answered from the cache need not be decoded.
    get content(): Buffer {
      return fake ? Buffer.from(EICAR_TEST_STRING, 'latin1') : part.content;
    },
    filename: part.filename,
    contentType: part.declaredType,
    detectedType: part.detectedType,
    size: fake ? EICAR_TEST_STRING.length : part.size,
    fakeEicar: fake,
    range: part.range,
  };
}

/** Message-level gates: text_part_min_words, then dynamic_scan; null when neither applies. */
function messageGate(rule: SelectionRule, message: SplitMessage, ctx: SelectionContext): GateName | null {
  const minWords = rule.textPartMinWords;
  // A file has no message text to count (SplitMessage.shape): the gate is about a message's text.
  if (message.shape === 'message' && minWords !== null && minWords > 0 && !message.textWordCounts.some((w) => w >= minWords)) return 'text_part_min_words';
  if (rule.dynamicScan && rule.action !== 'reject') {
    if ((ctx.score ?? 0) > 2 * ctx.rejectThreshold || ctx.forcedRejectAlready === true) return 'dynamic_scan';
  }
  return null;
}

/** The four gates of docs/semantics.md §4 in table order; null when the body may be scanned. */
export function gateFor(rule: SelectionRule, size: number, messageLevel: GateName | null): GateName | null {
  if (rule.maxSize !== null && size > rule.maxSize) return 'max_size';
  if (rule.minSize !== null && size < rule.minSize) return 'min_size';
  return messageLevel;
}

/**
 * The bodies one rule sends to its scanner for one message: whole-message
 * mode (§3.1) or the selected non-empty parts (§3.2) with eicar_fake_pattern
 * applied (§3.4), split by the gates of §4. Pure: no cache, no I/O.
 */
export function selectBodies(rule: SelectionRule, message: SplitMessage, ctx: SelectionContext, raw: Buffer): BodySelection {
  const candidates: SelectedBody[] = rule.scanMimeParts
    ? message.parts.filter((p) => p.size > 0 && isPartSelected(rule, p)).map((p) => partBody(rule, p))
    : raw.length > 0
      ? [{ partIndex: null, sha256: sha256(raw), content: raw, filename: null, contentType: 'message/rfc822', detectedType: 'message/rfc822', size: raw.length, fakeEicar: false, range: null }]
      : [];
  if (candidates.length === 0) return { bodies: [], gated: [], skipped: 'no_parts' };
  const messageLevel = messageGate(rule, message, ctx);
  const bodies: SelectedBody[] = [];
  const gated: GatedBody[] = [];
  for (const body of candidates) {
    const gate = gateFor(rule, body.size, messageLevel);
    if (gate === null) bodies.push(body);
    else gated.push({ body, gate });
  }
  let skipped: SelectionSkip | null = null;
  if (bodies.length === 0) {
    skipped = messageLevel === 'dynamic_scan' ? 'dynamic_scan' : messageLevel === 'text_part_min_words' ? 'no_parts' : 'size';
  }
  return { bodies, gated, skipped };
}
