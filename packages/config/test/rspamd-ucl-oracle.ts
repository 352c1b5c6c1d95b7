import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What Rspamd's own libucl made of a text: its JSON emitter output and the tree as Rspamd's Lua code sees it. */
export type RspamdUclResult = { ok: true; json: unknown; luaJson: unknown } | { ok: false; error: string };

export interface RspamdUclOptions {
  variables?: Record<string, string>;
  /** Working directory of rspamadm (libucl resolves relative includes against it). */
  cwd?: string;
}

/** True when `rspamadm lua` can be run here (tests skip the conformance suite otherwise). */
export function rspamdUclAvailable(): boolean {
  const r = spawnSync('rspamadm', ['lua', '-e', 'print(require("ucl") ~= nil)'], { encoding: 'utf8', timeout: 20000 });
  return r.status === 0 && r.stdout.includes('true');
}

function longBracket(s: string): string {
  let level = 1;
  while (s.includes(']' + '='.repeat(level) + ']')) level++;
  const eq = '='.repeat(level);
  // a long bracket drops a newline that directly follows the opening bracket
  return `[${eq}[\n${s}]${eq}]`;
}

/** libucl prints nan/inf bare; make them JSON strings ("nan", "inf", "-inf") like toJson does. */
function parseUclJson(s: string): unknown {
  return JSON.parse(s.replace(/([:[,])(-?)(nan|inf)(?=[,\]}])/g, '$1"$2$3"'));
}

const MARK = '@@AVFLEET-ORACLE@@';

/** Parses each text with Rspamd's libucl (one `rspamadm lua` run for the whole batch). */
export function parseManyWithRspamd(texts: readonly string[], opts: RspamdUclOptions = {}): RspamdUclResult[] {
  const vars = Object.entries(opts.variables ?? {})
    .map(([k, v]) => `  p:register_variable(${longBracket(k)}, ${longBracket(v)})`)
    .join('\n');
  const lua = [
    'local ucl = require "ucl"',
    `local texts = { ${texts.map(longBracket).join(',\n')} }`,
    'for _, text in ipairs(texts) do',
    '  local p = ucl.parser()',
    vars,
    '  local ok, err = p:parse_string(text)',
    `  print("${MARK}")`,
    '  if ok then',
    '    print(p:get_object_wrapped():tostring("json-compact"))',
    '    print(ucl.to_format(p:get_object(), "json-compact"))',
    '  else',
    '    print("ERROR " .. tostring(err))',
    '  end',
    'end',
  ].join('\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avfleet-ucl-oracle-'));
  try {
    const script = path.join(dir, 'oracle.lua');
    fs.writeFileSync(script, lua);
    const r = spawnSync('rspamadm', ['lua', script], { encoding: 'utf8', cwd: opts.cwd ?? dir, timeout: 60000, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`rspamadm lua failed (${r.status}): ${r.stderr}`);
    const chunks = r.stdout.split(`${MARK}\n`).slice(1);
    if (chunks.length !== texts.length) throw new Error(`rspamadm lua returned ${chunks.length} results for ${texts.length} texts: ${r.stdout}`);
    return chunks.map((c): RspamdUclResult => {
      if (c.startsWith('ERROR ')) return { ok: false, error: c.slice(6).trim() };
      const [json, luaJson] = c.trimEnd().split('\n');
      return { ok: true, json: parseUclJson(json ?? ''), luaJson: parseUclJson(luaJson ?? '') };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses one text with Rspamd's libucl. */
export function parseWithRspamd(text: string, opts: RspamdUclOptions = {}): RspamdUclResult {
  return parseManyWithRspamd([text], opts)[0] as RspamdUclResult;
}
