import { ConfigError } from '../errors';
import type { CompiledPattern } from './rule';
import { compilePattern } from './compile-pattern';
import type { Diagnostics } from './diagnostics';
import type { TreeObject, TreePositions, TreeValue } from './ucl-view';
import { isTreeArray, isTreeObject, positionOf } from './ucl-view';

/** One `NAME = value` entry of a map, in configuration order (a repeated name gives several). */
export interface MapEntry {
  readonly name: string;
  readonly value: string;
  readonly map: TreeObject;
}

/**
 * Flatten the map form and the list-of-maps form (docs/semantics.md §3.3, §7.2)
 * into entries in configuration order. Non-string values are reported.
 */
export function flattenMaps(
  value: TreeValue,
  where: { rule: string; key: string; owner: TreeObject },
  pos: TreePositions,
  diag: Diagnostics,
): MapEntry[] {
  const maps: TreeObject[] = [];
  if (isTreeObject(value)) maps.push(value);
  else if (isTreeArray(value)) {
    for (const m of value) {
      if (isTreeObject(m)) maps.push(m);
      else {
        diag.error(
          'AVF_ERR_CONFIG_VALUE',
          `rule "${where.rule}": ${where.key} must be a map { NAME = value; } or a list of such maps; found ${JSON.stringify(m)} in the list`,
          positionOf(pos, where.owner, where.key),
        );
      }
    }
  } else {
    diag.error(
      'AVF_ERR_CONFIG_VALUE',
      `rule "${where.rule}": ${where.key} must be a map { NAME = value; } or a list of such maps, not ${JSON.stringify(value)}`,
      positionOf(pos, where.owner, where.key),
    );
  }
  const out: MapEntry[] = [];
  for (const map of maps) {
    for (const [name, v] of Object.entries(map)) {
      const values = isTreeArray(v) ? v : [v];
      for (const one of values) {
        if (typeof one === 'string' || typeof one === 'number') out.push({ name, value: String(one), map });
        else {
          diag.error(
            'AVF_ERR_CONFIG_VALUE',
            `rule "${where.rule}": ${where.key}.${name} must be a string, not ${JSON.stringify(one)}`,
            positionOf(pos, map, name),
          );
        }
      }
    }
  }
  return out;
}

/** Compile `patterns`, `patterns_fail` or `mime_parts_filter_regex`; every bad regex is reported. */
export function compilePatternSet(
  value: TreeValue,
  where: { rule: string; key: string; owner: TreeObject },
  pos: TreePositions,
  diag: Diagnostics,
): CompiledPattern[] {
  const out: CompiledPattern[] = [];
  for (const e of flattenMaps(value, where, pos, diag)) {
    const position = positionOf(pos, e.map, e.name);
    try {
      out.push(
        compilePattern(e.name, e.value, {
          rule: where.rule,
          key: where.key,
          position,
          warn: (message) => diag.warn('AVF_WARN_OTHER', message, position),
        }),
      );
    } catch (err) {
      if (err instanceof ConfigError) diag.add(err);
      else throw err;
    }
  }
  return out;
}
