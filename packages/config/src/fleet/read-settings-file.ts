import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { ConfigError } from '../errors';
import { suggestKey } from '../rules/rule-keys';
import type { SourcePosition } from '../source-position';

/** One value from the AVFLEET_SETTINGS file, flattened to the text an environment variable would hold. */
export interface SettingsFileEntry {
  readonly value: string;
  readonly position: SourcePosition;
}

export interface SettingsFile {
  readonly path: string;
  readonly entries: ReadonlyMap<string, SettingsFileEntry>;
}

export function settingsError(message: string, position: SourcePosition | null = null, cause?: unknown): ConfigError {
  return new ConfigError('AVF_ERR_CONFIG_SETTINGS', message, position, cause === undefined ? undefined : { cause });
}

/** A plain `~`, `null` or nothing means "not set" (the failsafe schema leaves them as text). */
function isNullScalar(node: YamlNode): boolean {
  return isScalar(node) && (node.value === null || (node.type === 'PLAIN' && ['', '~', 'null', 'Null', 'NULL'].includes(String(node.value))));
}

/**
 * Scalars as their text (the failsafe schema keeps `0123` and `1.10` as written);
 * a list becomes `a,b`; a map (`actions: {reject: 15}`) becomes `reject=15`.
 */
function flatten(node: YamlNode | null, key: string, at: SourcePosition): string | null {
  if (node === null || isNullScalar(node)) return null;
  if (isScalar(node)) return String(node.value);
  if (isSeq(node)) {
    return node.items
      .map((item) => {
        if (!isScalar(item)) throw settingsError(`${key}: list items must be plain values, not nested lists or maps`, at);
        return String(item.value);
      })
      .join(',');
  }
  if (isMap(node)) {
    return node.items
      .map((pair) => {
        if (!isScalar(pair.key) || !isScalar(pair.value)) throw settingsError(`${key}: map entries must be plain NAME: value pairs, not nested lists or maps`, at);
        return `${String(pair.key.value)}=${String(pair.value.value)}`;
      })
      .join(',');
  }
  throw settingsError(`${key}: unsupported value; write a plain value, a list or a map`, at);
}

/**
 * Read the AVFLEET_SETTINGS file (YAML, or JSON, which is YAML too). Keys are
 * checked against `knownKeys`; an unknown key is an error (a typo would
 * otherwise be ignored silently).
 */
export function readSettingsFile(path: string, knownKeys: readonly string[]): SettingsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw settingsError(`AVFLEET_SETTINGS names ${path}, which cannot be read (${reason}); fix the path or unset AVFLEET_SETTINGS`, null, err);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, schema: 'failsafe' });
  const pos = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: path, line, column: col };
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw settingsError(`settings file is not valid YAML or JSON: ${first.message.split('\n')[0]}`, pos(first.pos[0]), first);
  }
  const entries = new Map<string, SettingsFileEntry>();
  const root = doc.contents;
  if (root === null || isNullScalar(root)) return { path, entries };
  if (!isMap(root)) {
    throw settingsError('settings file must be a map of setting names to values (e.g. `concurrency: 4`)', pos(root.range?.[0] ?? 0));
  }
  for (const pair of root.items) {
    const keyNode = pair.key;
    const at = pos(isScalar(keyNode) ? (keyNode.range?.[0] ?? 0) : 0);
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') throw settingsError('setting names must be plain strings (e.g. `concurrency: 4`)', at);
    const key = keyNode.value;
    if (!knownKeys.includes(key)) throw settingsError(unknownKeyMessage(key, knownKeys), at);
    const valueNode = (pair.value ?? null) as YamlNode | null;
    const valueAt = valueNode?.range ? pos(valueNode.range[0]) : at;
    const value = flatten(valueNode, key, valueAt);
    if (value !== null) entries.set(key, { value, position: valueAt });
  }
  return { path, entries };
}

function unknownKeyMessage(key: string, knownKeys: readonly string[]): string {
  const normal = key.toLowerCase().replace(/^avfleet_/, '');
  if (normal !== key && knownKeys.includes(normal)) {
    return `unknown setting '${key}': write it as '${normal}' (the environment name without AVFLEET_, in lower case)`;
  }
  const near = suggestKey(normal, knownKeys);
  return near
    ? `unknown setting '${key}' (did you mean '${near}'?)`
    : `unknown setting '${key}'; known settings: ${knownKeys.join(', ')}`;
}
