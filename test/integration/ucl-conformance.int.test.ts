/**
 * Conformance of avfleet's UCL parser with Rspamd's own libucl (through
 * `rspamadm lua`). Skipped, with a message, when rspamadm is not installed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../packages/config/src/errors';
import { parseUcl, toJson } from '../../packages/config/src/ucl/index';
import { parseManyWithRspamd, rspamdUclAvailable } from '../../packages/config/test/rspamd-ucl-oracle';
import type { RspamdUclResult } from '../../packages/config/test/rspamd-ucl-oracle';

const FIXTURES = path.join(__dirname, '..', '..', 'packages', 'config', 'src', 'ucl', 'fixtures');
const available = rspamdUclAvailable();
if (!available) {
  console.warn('ucl-conformance: rspamadm (Rspamd) is not installed here; the libucl conformance suite is skipped');
}
const describeIfRspamd = available ? describe : describe.skip;

const VARIABLES = { LOCAL_CONFDIR: '/etc/rspamd', HOSTNAME: 'host1', CONFDIR: '/etc/rspamd' };

/** Snippets whose result must equal libucl's JSON output (numbers compared by value). */
const SNIPPETS: readonly string[] = [
  '# c\na = 1 # after\n/* x /* nested */ y */ b = 2',
  '// this is text\n//servers = "x"\n// clamav { a = 1 }',
  'a = v; b: v; c v; d { }; e = { }; f "name" { x = 1 }; g "a" "b" { y = 2 }',
  'a = 1;; b = 2,\nc = 3\n\n;d = 4',
  'a = "\\."; b = "\\\\."; c = "\\q\\d\\/"; d = "x\\u00e9\\n\\t\\"q\\""',
  "a = '\\.'; b = 'it\\'s'; c = 'x\\\ny'; d = 'multi\nline'; e = '\\\\'",
  'a = 127.0.0.1:3310; b = x y # c\nc = a\\;b; d = https://h/#f; e = x{y}z; f = x\\nb',
  'a=10k;b=10kb;c=1.5kb;d=20m;e=1m;f=1min;g=500ms;h=2h;i=0x1F;j=1e3;k=.5;l=+5;m=3 s',
  'a=2ks;b=2gs;c=0x1fk;d=-5;e=0123;f=1.;g=1e-3;h=1_000;i=12abc;j=nan;k=inf;l=NaN;m=-inf;n=infinity',
  'a=-0x10;b=1.5k;c=10KB;d=5S;e=1MIN;f=3d;g=1w;h=1y;i=5ms;j=0x10kb;k=1.5e3k;l=1.9kb;m=-1.5kb;n=1e5kb',
  'a=0xffs;b=0x10h;c=1 k;d=10k ;e=7 #x\nf=5g;g=3gb;h=5 /* c */;i=1ms2;j=5msx;k=1minute;l=0x;m=0xg;n=1e;o=--1;p=1.2.3',
  'a=TRUE;b=Yes;c=oN;d=NULL;e=null;f="true";g=yes_please;h=off;i=No;j=FALSE',
  'a = "$LOCAL_CONFDIR/x"; b = \'$LOCAL_CONFDIR/x\'; c = "${UNKNOWN}"; d = $HOSTNAMEX; e = "${HOSTNAME}x$$"; f = "$$X"; g = "$$X ${LOCAL_CONFDIR}"',
  'a = <<EOD\nline $HOSTNAME\n${VIRUS}\nEOD\nb = <<EOD\n\nEOD\nc = <<EOD\nx\n  EOD\nEOD;\nd=1',
  'a = [1, 2; 3\n4,]; b = []; c = {}; d = [1 2]; e = [1, {b = 2}, [3]]; f = [1 # c\n2 /* x */, 3]',
  'servers = "a"; servers = "b"; c { x = 1 } c { y = 2 }; d = 1; d = [2]; e { x = 1 }; e = "s"',
  'worker "normal" { a = 1 } worker "ctl" { b = 2 }',
  'a = 1\n.priority 2\na = 2\n.priority 1\na = 3',
  'b { x = 1; y = 2 } a { .inherit "b"; y = 3; z = 4; x = 5 }',
  'b { x = 1; y = 2 } a { y = 3; .inherit(replace=true) "b"; z = 4 }',
  '{ a = 1 } trailing garbage',
  '',
  '{}',
  '[]',
  'a { b = 1 } ; ; , c = 2;;',
  'a = 1,b = 2',
  'é = 1; aé = 2; a.b-c/d = 3; _x = 4; /y = 5; 0z = 6',
  '"quoted key" = 1; "a\\nb" = 2; "x\\.y" = 3',
  'a { b { c { d = 1 }}} e = 2',
  'a = x;;;\n;b=2',
  'a = "x" # c\nb = 1',
  'a = 9223372036854775807; b = -9223372036854775807',
  'a = 99999999999999999999999.5',
  'patterns { A = "x" }',
  'symbols = { a = { s = 1; }; };',
  'a = 1 b = 2',
  'a =\n 1',
  'a = "/* not a comment */"; b = \'# not\'',
  '/* a "quoted */" text */ a = 1',
];

/** Snippets libucl rejects; ours must throw a ConfigError. */
const ERRORS: readonly string[] = [
  'a = "x\ny"',
  "'a' = 1",
  '-a = 1',
  'a = "abc',
  "a = 'abc",
  'a = 1; /* x /* y */ z',
  'a { b = 1',
  'a = 1; } b = 2',
  'a = [1, 2',
  'a = 9223372036854775808',
  'a = -9223372036854775808',
  'a = 12345678901234567890',
  'a = 1e-400',
  'a = 5e400',
  '$a = 1',
  '@a = 1',
  '*a=1',
  '+a=1',
  'a{b=1}',
  'a"x"',
  'a\n= 1',
  'a = ; b = 1',
  'a = }',
  'a = [,]',
  'a := 1',
  'key = "x" "y"',
  '"" = 1',
  's = "a\tb"',
  'a = "x\\u12"',
  'x = <<EOD\nhello\nEOD',
  'x = <<EOD\nEOD\n',
  'a { .inherit "nope" }',
  '.unknown_macro "x"',
  'a = 1\n.priority 2\na = 2\n.priority 1\na = 3\n}',
];

function ours(text: string, opts: Partial<Parameters<typeof parseUcl>[1]> = {}): { ok: true; json: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, json: toJson(parseUcl(text, { filename: '/tmp/avfleet-conformance.conf', variables: VARIABLES, keepBom: true, ...opts }).value) };
  } catch (e) {
    return { ok: false, error: e };
  }
}

function expectSame(text: string, theirs: RspamdUclResult, mine: ReturnType<typeof ours>): void {
  if (!theirs.ok) {
    if (mine.ok) throw new Error(`libucl rejects ${JSON.stringify(text)} (${theirs.error}) but avfleet accepted it: ${JSON.stringify(mine.json)}`);
    expect(mine.error).toBeInstanceOf(ConfigError);
    return;
  }
  if (!mine.ok) throw new Error(`libucl accepts ${JSON.stringify(text)} but avfleet threw: ${String(mine.error)}`);
  // top-level "[]" is an empty object for avfleet (configuration files are objects)
  const expected = Array.isArray(theirs.json) && theirs.json.length === 0 ? {} : theirs.json;
  expect(mine.json).toEqual(expected);
  expect(Object.keys(mine.json as object)).toEqual(Object.keys(expected as object));
}

describeIfRspamd('UCL parser conformance with Rspamd libucl', () => {
  it('accepts what libucl accepts, with the same values and key order', () => {
    const results = parseManyWithRspamd(SNIPPETS, { variables: VARIABLES });
    SNIPPETS.forEach((text, i) => expectSame(text, results[i] as RspamdUclResult, ours(text)));
  });

  it('rejects what libucl rejects', () => {
    const results = parseManyWithRspamd(ERRORS, { variables: VARIABLES });
    ERRORS.forEach((text, i) => {
      expect([text, (results[i] as RspamdUclResult).ok]).toEqual([text, false]);
      expect([text, ours(text).ok]).toEqual([text, false]);
    });
  });

  it('repeated keys headed by an explicit array follow what Rspamd\'s Lua code sees', () => {
    const texts = ['b = [1]; b = [2]', 'b = [1]; b = 2; b = [3, 4]', 'c = [[1]]; c = [[2]]'];
    const results = parseManyWithRspamd(texts);
    texts.forEach((text, i) => {
      const r = results[i] as RspamdUclResult;
      if (!r.ok) throw new Error(r.error);
      expect(ours(text)).toEqual({ ok: true, json: r.luaJson });
    });
  });

  it.each(['1', '2', '3', '4', '6'])('example %s matches libucl', (n) => {
    const text = fs.readFileSync(path.join(FIXTURES, `example${n}`, 'antivirus.conf'), 'utf8');
    expectSame(text, parseManyWithRspamd([text])[0] as RspamdUclResult, ours(text));
  });

  it.each([
    ['example5', 'modules.d/antivirus.conf'],
    ['example7', 'modules.d/antivirus.conf'],
    ['example7', 'local.d/antivirus.conf'],
  ])('%s %s (with includes) matches libucl', (dir, file) => {
    const confdir = path.join(FIXTURES, dir);
    const variables = { LOCAL_CONFDIR: confdir, DBDIR: path.join(confdir, 'no-such-dbdir') };
    const text = fs.readFileSync(path.join(confdir, file), 'utf8');
    const theirs = parseManyWithRspamd([text], { variables })[0] as RspamdUclResult;
    expectSame(text, theirs, ours(text, { variables, filename: path.join(confdir, file) }));
  });

  it('include parameters (priority, duplicate, prefix/key, glob, try) behave like libucl', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'avfleet-ucl-inc-'));
    try {
      fs.writeFileSync(path.join(dir, 'base.inc'), 'a { x = 1; y = [1] }\nb = [1]\nc = "s"\nd { z = 1 }\nf = 1\n');
      fs.writeFileSync(path.join(dir, 'm1.inc'), 'a { x = 2; y = [2]; w = 3 }\nb = [2]\nc = "t"\nd = "scalar"\nf = {q = 1}\n');
      fs.writeFileSync(path.join(dir, 'm2.inc'), 'e = {k = 1}\n');
      fs.writeFileSync(path.join(dir, 'a2.inc'), 'a = 2\n');
      const texts = [
        `.include "${dir}/base.inc"\n.include(duplicate=merge) "${dir}/m1.inc"`,
        `.include "${dir}/base.inc"\n.include(duplicate=merge,priority=1) "${dir}/m1.inc"`,
        `.include "${dir}/base.inc"\n.include(duplicate=rewrite) "${dir}/m1.inc"`,
        `.include "${dir}/base.inc"\n.include(duplicate=error) "${dir}/m1.inc"`,
        `.include "${dir}/base.inc"\n.include(priority=1) "${dir}/m1.inc"`,
        `.priority 3\na = 1\n.include "${dir}/a2.inc"`,
        `x = 1\n.include "${dir}/nonexistent"`,
        `x = 1\n.include(try=true) "${dir}/nonexistent"`,
        `.include(prefix=true,key="foo") "${dir}/m2.inc"`,
        `.include(prefix=true) "${dir}/m2.inc"`,
        `.try_include "${dir}/m2.inc"`,
        `.include(glob=true) "${dir}/m*.inc"`,
        `e = [1]\n.include(duplicate=merge) "${dir}/m2.inc"`,
      ];
      const results = parseManyWithRspamd(texts, { variables: VARIABLES });
      texts.forEach((text, i) => expectSame(text, results[i] as RspamdUclResult, ours(text)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a leading BOM with keepBom reproduces libucl exactly', () => {
    const text = '\uFEFFa = 1\nb = 2';
    expectSame(text, parseManyWithRspamd([text])[0] as RspamdUclResult, ours(text, { keepBom: true }));
  });
});
