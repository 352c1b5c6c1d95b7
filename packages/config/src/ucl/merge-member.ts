import { ConfigError } from '../errors';
import type { SourcePosition } from '../source-position';
import type { DuplicateStrategy, UclObject, UclValue } from './ucl-value';
import {
  addKeyPosition,
  implicitArrayInfo,
  isInheritedKey,
  isUclObject,
  keyPriority,
  markImplicitArray,
  resetKeyPositions,
  setInheritedKey,
  setKeyPriority,
  setMember,
} from './ucl-value';

/** The chunk a member comes from: its priority (0–15) and duplicate strategy. */
export interface ChunkContext {
  readonly priority: number;
  readonly strategy: DuplicateStrategy;
}

/**
 * With `duplicate=merge`, a key that already holds an object or array is parsed
 * *into* that container (libucl reuses the old object). Returns it, or null
 * when the value must be parsed fresh and handed to `commitMember`.
 */
export function mergeTarget(obj: UclObject, key: string, chunk: ChunkContext): UclObject | UclValue[] | null {
  if (chunk.strategy !== 'merge' || !Object.prototype.hasOwnProperty.call(obj, key)) return null;
  const old = obj[key];
  const info = implicitArrayInfo(old);
  const head = info && !info.flat && Array.isArray(old) ? old[0] : old;
  if (isUclObject(head) || (Array.isArray(head) && (!info || info.flat))) return head as UclObject | UclValue[];
  return null;
}

/** Throws for `duplicate=error` when the key already exists. */
export function checkDuplicateError(obj: UclObject, key: string, chunk: ChunkContext, pos: SourcePosition): void {
  if (chunk.strategy === 'error' && Object.prototype.hasOwnProperty.call(obj, key)) {
    throw new ConfigError(
      'AVF_ERR_CONFIG_SYNTAX',
      `duplicate element for key '${key}' found (the chunk was included with duplicate=error); remove one of them or include with another duplicate strategy`,
      pos,
    );
  }
}

function appendImplicit(old: UclValue, value: UclValue): UclValue[] {
  const info = implicitArrayInfo(old);
  if (info && Array.isArray(old)) {
    if (info.flat && Array.isArray(value)) old.push(...value);
    else old.push(value);
    return old;
  }
  if (Array.isArray(old)) {
    // libucl keeps an implicit list headed by an explicit array; Rspamd's Lua view flattens it
    const arr = [...old, ...(Array.isArray(value) ? value : [value])];
    markImplicitArray(arr, true);
    return arr;
  }
  const arr = [old, value];
  markImplicitArray(arr, false);
  return arr;
}

/**
 * Stores a freshly parsed value under `key` following libucl's rules for
 * repeated keys: equal priority appends (implicit array), higher replaces,
 * lower is ignored; `rewrite` always replaces; inherited members always lose.
 */
export function commitMember(obj: UclObject, key: string, value: UclValue, chunk: ChunkContext, pos: SourcePosition): void {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) {
    setMember(obj, key, value);
    setKeyPriority(obj, key, chunk.priority);
    addKeyPosition(obj, key, pos);
    return;
  }
  const old = obj[key] as UclValue;
  const replace = (): void => {
    setMember(obj, key, value);
    setKeyPriority(obj, key, chunk.priority);
    setInheritedKey(obj, key, false);
    resetKeyPositions(obj, key, pos);
  };
  if (chunk.strategy === 'rewrite' || isInheritedKey(obj, key)) return replace();
  if (chunk.strategy === 'merge' && (isUclObject(old) || Array.isArray(old)) && !implicitArrayInfo(old)) {
    // a scalar written over a container in merge mode overwrites it, as libucl does
    return replace();
  }
  const oldPriority = keyPriority(obj, key);
  if (chunk.priority > oldPriority) return replace();
  if (chunk.priority < oldPriority) return;
  setMember(obj, key, appendImplicit(old, value));
  addKeyPosition(obj, key, pos);
}

/** Records one more occurrence of a key whose container was merged in place. */
export function noteMergedMember(obj: UclObject, key: string, pos: SourcePosition): void {
  addKeyPosition(obj, key, pos);
}
