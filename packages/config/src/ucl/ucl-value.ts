import type { SourcePosition } from '../source-position';

/** A parsed UCL value. Int, float and time values are all plain numbers (time in seconds). */
export type UclValue = string | number | boolean | null | UclValue[] | UclObject;
/** A UCL object: a plain object whose key order is the order the keys were first written. */
export interface UclObject {
  [key: string]: UclValue;
}
export type DuplicateStrategy = 'append' | 'merge' | 'rewrite' | 'error';

/* Metadata lives in WeakMaps so that JSON.stringify of a tree stays clean. */
const keyPositionMap = new WeakMap<UclObject, Map<string, SourcePosition[]>>();
const objectPositionMap = new WeakMap<UclObject, SourcePosition>();
const priorityMap = new WeakMap<UclObject, Map<string, number>>();
const inheritedMap = new WeakMap<UclObject, Set<string>>();
/** Implicit arrays; the flag says whether the first value was itself an explicit array (then later values are flattened into it). */
const implicitArrays = new WeakMap<UclValue[], { flat: boolean }>();

export function isUclObject(v: UclValue | undefined): v is UclObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every position where `key` was set in `obj` (one per occurrence, in order); [] if unknown. */
export function keyPositions(obj: UclObject, key: string): readonly SourcePosition[] {
  return keyPositionMap.get(obj)?.get(key) ?? [];
}

export function addKeyPosition(obj: UclObject, key: string, pos: SourcePosition): void {
  let m = keyPositionMap.get(obj);
  if (!m) keyPositionMap.set(obj, (m = new Map()));
  const list = m.get(key);
  if (list) list.push(pos);
  else m.set(key, [pos]);
}

export function resetKeyPositions(obj: UclObject, key: string, pos: SourcePosition): void {
  keyPositionMap.get(obj)?.delete(key);
  addKeyPosition(obj, key, pos);
}

/** Sets a member, also for keys like `__proto__` that plain assignment would misread. */
export function setMember(obj: UclObject, key: string, value: UclValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Where the object's `{` (or its first member) was. */
export function objectPosition(obj: UclObject): SourcePosition | null {
  return objectPositionMap.get(obj) ?? null;
}

export function setObjectPosition(obj: UclObject, pos: SourcePosition): void {
  if (!objectPositionMap.has(obj)) objectPositionMap.set(obj, pos);
}

/** True when obj[key] is an array produced by repeating the key (implicit array), not written as [...] */
export function isImplicitArray(obj: UclObject, key: string): boolean {
  const v = obj[key];
  return Array.isArray(v) && implicitArrays.has(v);
}

export function implicitArrayInfo(v: UclValue | undefined): { flat: boolean } | undefined {
  return Array.isArray(v) ? implicitArrays.get(v) : undefined;
}

export function markImplicitArray(arr: UclValue[], flat: boolean): void {
  implicitArrays.set(arr, { flat });
}

/** Priority of the chunk that set obj[key] (libucl keeps it on the value). */
export function keyPriority(obj: UclObject, key: string): number {
  return priorityMap.get(obj)?.get(key) ?? 0;
}

export function setKeyPriority(obj: UclObject, key: string, priority: number): void {
  let m = priorityMap.get(obj);
  if (!m) priorityMap.set(obj, (m = new Map()));
  m.set(key, priority);
}

/** Members copied by `.inherit` are replaced by any explicit value, whatever its priority. */
export function isInheritedKey(obj: UclObject, key: string): boolean {
  return inheritedMap.get(obj)?.has(key) ?? false;
}

export function setInheritedKey(obj: UclObject, key: string, inherited: boolean): void {
  let s = inheritedMap.get(obj);
  if (!s) inheritedMap.set(obj, (s = new Set()));
  if (inherited) s.add(key);
  else s.delete(key);
}

/** Deep copy that keeps positions, priorities and implicit-array marks. */
export function cloneUclValue(v: UclValue): UclValue {
  if (Array.isArray(v)) {
    const out = v.map(cloneUclValue);
    const info = implicitArrays.get(v);
    if (info) markImplicitArray(out, info.flat);
    return out;
  }
  if (isUclObject(v)) {
    const out: UclObject = {};
    for (const [k, child] of Object.entries(v)) {
      setMember(out, k, cloneUclValue(child));
      for (const p of keyPositions(v, k)) addKeyPosition(out, k, p);
      setKeyPriority(out, k, keyPriority(v, k));
    }
    const pos = objectPosition(v);
    if (pos) setObjectPosition(out, pos);
    return out;
  }
  return v;
}

/** A plain JSON-able copy (NaN and ±Infinity become strings "nan"/"inf"/"-inf" as libucl prints them). */
export function toJson(value: UclValue): unknown {
  if (Array.isArray(value)) return value.map(toJson);
  if (isUclObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  }
  return value;
}
