import type { SourcePosition } from '../source-position';

/**
 * The rule model reads the parsed UCL tree through this narrow view, so it can
 * be unit-tested with plain objects (positions then are null) and wired to the
 * UCL parser's position tables by the loader.
 */
export type TreeValue = string | number | boolean | null | readonly TreeValue[] | TreeObject;
export interface TreeObject {
  readonly [key: string]: TreeValue;
}

export interface TreePositions {
  /** Positions of every occurrence of `key` in `obj` (several for a repeated key). */
  keyPositions(obj: TreeObject, key: string): readonly SourcePosition[];
  /** Where the object's block starts. */
  objectPosition(obj: TreeObject): SourcePosition | null;
  /** True when the array under `key` came from a repeated key (not from `[ … ]`). */
  isImplicitArray(obj: TreeObject, key: string): boolean;
}

/** Positions provider for trees built in code: nothing is known. */
export const NO_POSITIONS: TreePositions = {
  keyPositions: () => [],
  objectPosition: () => null,
  isImplicitArray: () => false,
};

export function isTreeObject(v: unknown): v is TreeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isTreeArray(v: unknown): v is readonly TreeValue[] {
  return Array.isArray(v);
}

/** First position of `key` in `obj`, falling back to the object's own position. */
export function positionOf(pos: TreePositions, obj: TreeObject, key?: string): SourcePosition | null {
  if (key !== undefined) {
    const all = pos.keyPositions(obj, key);
    if (all.length > 0) return all[0] ?? null;
  }
  return pos.objectPosition(obj);
}

/** Plain JSON copy of a tree value (for `redis` and `config dump --raw`-like output). */
export function treeToJson(v: TreeValue): unknown {
  if (Array.isArray(v)) return v.map((x: TreeValue) => treeToJson(x));
  if (isTreeObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = treeToJson(x);
    return out;
  }
  return v;
}
