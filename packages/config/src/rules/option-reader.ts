import type { SourcePosition } from '../source-position';
import { formatPosition } from '../source-position';
import { UCL_BOOLEANS } from '../ucl/lexer';
import type { Diagnostics } from './diagnostics';
import type { TreeObject, TreePositions, TreeValue } from './ucl-view';
import { isTreeArray, isTreeObject, positionOf } from './ucl-view';

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Typed access to one rule block: coerces values (docs/semantics.md §2,
 * docs/config-format.md §5), reports wrong types and repeated scalars, and
 * remembers which keys were read so the rest can be reported as unknown.
 */
export class OptionReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly rule: string,
    readonly block: TreeObject,
    readonly pos: TreePositions,
    readonly diag: Diagnostics,
    /** Where the rule is named (its key in the section); falls back to the block's own position. */
    private readonly blockPosition: SourcePosition | null = null,
  ) {}

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.block, key);
  }

  /** Mark `key` as known without reading it. */
  touch(key: string): void {
    this.seen.add(key);
  }

  position(key?: string): SourcePosition | null {
    if (key !== undefined && this.pos.keyPositions(this.block, key).length > 0) return positionOf(this.pos, this.block, key);
    return this.blockPosition ?? this.pos.objectPosition(this.block);
  }

  raw(key: string): TreeValue | undefined {
    this.seen.add(key);
    return this.has(key) ? this.block[key] : undefined;
  }

  error(key: string | undefined, message: string): void {
    this.diag.error('AVF_ERR_CONFIG_VALUE', `rule "${this.rule}": ${message}`, this.position(key));
  }

  /** The single scalar value of `key`; a repeated key (list) is an error naming every line. */
  scalar(key: string): string | number | boolean | null | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (isTreeArray(v)) {
      const lines = this.pos.keyPositions(this.block, key).map((p) => formatPosition(p));
      const where = lines.length > 1 ? ` (set at ${lines.join(' and ')})` : '';
      const what = this.pos.isImplicitArray(this.block, key) || lines.length > 1 ? 'is set more than once' : 'must be a single value, not a list';
      this.error(key, `option ${key} ${what}${where}; keep one value`);
      return undefined;
    }
    if (isTreeObject(v)) {
      this.error(key, `option ${key} must be a single value, not a block`);
      return undefined;
    }
    return v;
  }

  str(key: string): string | undefined {
    const v = this.scalar(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    this.error(key, `option ${key} must be a string, not ${JSON.stringify(v)}`);
    return undefined;
  }

  bool(key: string): boolean | undefined {
    const v = this.scalar(key);
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && UCL_BOOLEANS[v.toLowerCase()] !== undefined) {
      this.diag.warn(
        'AVF_WARN_OTHER',
        `rule "${this.rule}": option ${key} is the quoted string "${v}"; write it unquoted (${v.toLowerCase()}) — Rspamd treats every string as true`,
        this.position(key),
      );
      return UCL_BOOLEANS[v.toLowerCase()];
    }
    this.error(key, `option ${key} must be true or false, not ${JSON.stringify(v)}`);
    return undefined;
  }

  /** A number (int, float or time); `min` is inclusive. */
  num(key: string, opts: { min?: number; positive?: boolean } = {}): number | undefined {
    const v = this.scalar(key);
    if (v === undefined) return undefined;
    let n: number | undefined;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string' && NUMERIC.test(v.trim())) {
      n = Number(v.trim());
      this.diag.warn('AVF_WARN_OTHER', `rule "${this.rule}": option ${key} is the string "${v}"; write the number unquoted`, this.position(key));
    }
    if (n === undefined || !Number.isFinite(n)) {
      const hint = typeof v === 'string' && /\s/.test(v) ? ' (no space between a number and its suffix: 10s, 20mb)' : '';
      this.error(key, `option ${key} must be a number, not ${JSON.stringify(v)}${hint}`);
      return undefined;
    }
    if (opts.positive && n <= 0) {
      this.error(key, `option ${key} must be greater than 0, not ${n}`);
      return undefined;
    }
    if (opts.min !== undefined && n < opts.min) {
      this.error(key, `option ${key} must be at least ${opts.min}, not ${n}`);
      return undefined;
    }
    return n;
  }

  /** Keys of the block that were never read, in configuration order. */
  unreadKeys(): string[] {
    return Object.keys(this.block).filter((k) => !this.seen.has(k));
  }
}
