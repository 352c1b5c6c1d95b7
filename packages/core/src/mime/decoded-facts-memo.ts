import { createHash } from 'node:crypto';
import type { ArchiveLimits } from '@avfleet/config';
import type { ArchiveLimitName } from './archive-listing';

/**
 * What a base64 attachment's decoded bytes tell the part model: everything the
 * producer needs to select the part and look its verdict up, without the bytes.
 */
export interface DecodedFacts {
  readonly size: number;
  /** SHA-256 hex of the decoded bytes (the verdict-cache key's digest). */
  readonly sha256: string;
  readonly detectedExt: string | null;
  readonly detectedType: string | null;
  readonly archiveMembers: readonly string[];
  readonly archiveEncrypted: boolean;
  readonly archiveTruncated: boolean;
  readonly archiveLimit: ArchiveLimitName | null;
}

/** Default bound on remembered attachments (a few hundred bytes each; at most 4 KiB of member names). */
export const DECODED_FACTS_MEMO_ENTRIES = 4096;
/** Facts whose archive member names add up to more than this are not remembered (the memo's memory stays bounded). */
const MAX_MEMBER_CHARS = 4096;

/**
 * The warm path's shortcut (docs/benchmarks.md, "Third round"): the same
 * attachment arrives in many messages, and its verdict is cached, but finding
 * the cache key means base64-decoding and hashing it again — the largest share
 * of the producer's CPU on cached traffic. This memo maps the SHA-256 of the
 * *encoded* body (with the file name and the archive limits, which the facts
 * depend on) to the facts of the decoded one, so a repeated attachment is
 * hashed once as it stands and never decoded unless it must be stored. The key
 * is a cryptographic hash: two different encoded bodies never share facts.
 * Least recently used entries go first; the bound is on the number of entries.
 */
export class DecodedFactsMemo {
  private readonly entries = new Map<string, DecodedFacts>();
  private hitCount = 0;
  private missCount = 0;

  constructor(private readonly maxEntries: number = DECODED_FACTS_MEMO_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError(`DecodedFactsMemo: maxEntries must be a non-negative integer, got ${maxEntries}`);
  }

  get(key: string): DecodedFacts | undefined {
    const facts = this.entries.get(key);
    if (facts === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, facts);
    return facts;
  }

  /** Remembers `facts` unless their member names are too long to keep; evicts the least recently used entry past the bound. */
  set(key: string, facts: DecodedFacts): void {
    if (this.maxEntries === 0) return;
    let chars = 0;
    for (const m of facts.archiveMembers) chars += m.length;
    if (chars > MAX_MEMBER_CHARS) return;
    this.entries.delete(key);
    this.entries.set(key, facts);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  stats(): { entries: number; hits: number; misses: number } {
    return { entries: this.entries.size, hits: this.hitCount, misses: this.missCount };
  }

  clear(): void {
    this.entries.clear();
  }
}

const limitTags = new WeakMap<ArchiveLimits, string>();

/** The memo key of a base64 body: SHA-256 over the encoded chunks, then the file name and the archive limits. */
export function encodedBodyKey(chunks: readonly Buffer[], filename: string | null, limits: ArchiveLimits): string {
  let tag = limitTags.get(limits);
  if (tag === undefined) {
    tag = `${limits.maxDepth}/${limits.maxMembers}/${limits.maxBytes}/${limits.maxRatio}`;
    limitTags.set(limits, tag);
  }
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return `${h.digest('hex')}:${tag}:${filename ?? ''}`;
}

/** The producer process's memo (split-message.ts uses it for every base64 attachment). */
export const DECODED_FACTS_MEMO = new DecodedFactsMemo();
