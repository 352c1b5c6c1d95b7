import { ConfigError } from '../errors';
import { isImplicitArray, keyPositions, objectPosition, parseUcl, toJson } from './index';
import type { UclObject, UclParseOptions } from './index';

const VARS = { LOCAL_CONFDIR: '/etc/rspamd', HOSTNAME: 'host1' };
const parse = (text: string, opts: Partial<UclParseOptions> = {}) => parseUcl(text, { filename: '/cfg/test.conf', variables: VARS, ...opts });
const json = (text: string, opts: Partial<UclParseOptions> = {}) => toJson(parse(text, opts).value);
function error(text: string, opts: Partial<UclParseOptions> = {}): ConfigError {
  try {
    parse(text, opts);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('parseUcl: §7 checklist', () => {
  it('1. comments: #, nested /* */, and "//" as a key with a warning', () => {
    const r = parse('a = 1 # c\n/* x /* y */ z */ b = 2\n// not a comment\n');
    expect(toJson(r.value)).toEqual({ a: 1, b: 2, '//': 'not a comment' });
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'AVF_WARN_SLASH_COMMENT', position: { file: '/cfg/test.conf', line: 3, column: 1 } })]);
  });

  it('2. key/value forms', () => {
    expect(json('a = v; b: v; c v; d { }; e = { }; f "name" { x = 1 }; g "a" "b" { y = 2 }')).toEqual({
      a: 'v', b: 'v', c: 'v', d: {}, e: {}, f: { name: { x: 1 } }, g: { a: { b: { y: 2 } } },
    });
  });

  it('3. separators ; , newline and repeated ;;', () => {
    expect(json('a = 1;; b = 2,\nc = 3\n\n;d = 4')).toEqual({ a: 1, b: 2, c: 3, d: 4 });
  });

  it('4. double-quoted escapes; non-JSON escapes warn with key and position', () => {
    const r = parse('k = "\\."\nm = "\\\\."; n = "\\u00e9\\t"');
    expect(toJson(r.value)).toEqual({ k: '.', m: '\\.', n: 'é\t' });
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'AVF_WARN_DQ_REGEX_ESCAPE', position: { file: '/cfg/test.conf', line: 1, column: 6 } })]);
    expect(r.warnings[0]?.message).toContain('"k"');
  });

  it('5. single quotes', () => {
    expect(json("a = '\\.'; b = '\\''; c = 'x\\\ny'; d = 'l1\nl2'")).toEqual({ a: '\\.', b: "'", c: 'xy', d: 'l1\nl2' });
  });

  it('6. unquoted values', () => {
    expect(json('a = 127.0.0.1:3310\nb = x y # c\nc = a\\;b\nd = https://h/#f')).toEqual({ a: '127.0.0.1:3310', b: 'x y', c: 'a;b', d: 'https://h/' });
  });

  it('7. numbers with suffixes', () => {
    expect(json('a=10k;b=10kb;c=1.5kb;d=20m;e=1m;f=1min;g=500ms;h=2h;i=0x1F;j=1e3;k=.5;l=+5;m=3 s;n=2ks;o=0x1fk;p=1_000;q=12abc')).toEqual({
      a: 10000, b: 10240, c: 1024, d: 20000000, e: 1000000, f: 60, g: 0.5, h: 7200, i: 31, j: 1000, k: '.5', l: '+5', m: '3 s', n: 2000, o: 31000, p: '1_000', q: '12abc',
    });
    const r = parse('a = nan; b = inf; c = NaN; d = -inf');
    expect(Number.isNaN(r.value.a)).toBe(true);
    expect(r.value.b).toBe(Infinity);
    expect([r.value.c, r.value.d]).toEqual(['NaN', '-inf']);
  });

  it('8. booleans in any case, null only lower case', () => {
    expect(json('a=TRUE;b=Yes;c=oN;d=off;e=null;f=NULL;g="true";h=yes_please')).toEqual({ a: true, b: true, c: true, d: false, e: null, f: 'NULL', g: 'true', h: 'yes_please' });
  });

  it('9. variables', () => {
    expect(json('a = "$LOCAL_CONFDIR/x"; b = \'$LOCAL_CONFDIR/x\'; c = "${UNKNOWN}"; d = "$HOSTNAMEX"; e = "$$X"; f = "$$X ${HOSTNAME}"; g = "$CURDIR/$FILENAME"')).toEqual({
      a: '/etc/rspamd/x', b: '$LOCAL_CONFDIR/x', c: '${UNKNOWN}', d: 'host1X', e: '$$X', f: '$X host1', g: '/cfg//cfg/test.conf',
    });
  });

  it('10. heredoc', () => {
    expect(json('m = <<EOD\n${SCANNER} on $HOSTNAME\nsecond\nEOD\nn = 1')).toEqual({ m: '${SCANNER} on host1\nsecond', n: 1 });
  });

  it('11. arrays', () => {
    expect(json('a = [1, 2; 3\n4,]; b = [1 2]; c = []')).toEqual({ a: [1, 2, 3, 4], b: ['1 2'], c: [] });
  });

  it('12. repeated keys: implicit arrays, merge, priorities', () => {
    const r = parse('servers = "a"; servers = "b"; c { x = 1 } c { y = 2 }; l = [1]');
    expect(toJson(r.value)).toEqual({ servers: ['a', 'b'], c: [{ x: 1 }, { y: 2 }], l: [1] });
    expect([isImplicitArray(r.value, 'servers'), isImplicitArray(r.value, 'l')]).toEqual([true, false]);
    expect(keyPositions(r.value, 'servers').map((p) => p.column)).toEqual([1, 16]);
    expect(json('c { x = 1 } c { y = 2; x = 3 }', { duplicate: 'merge' })).toEqual({ c: { x: [1, 3], y: 2 } });
    expect(json('a = 1\n.priority 2\na = 2\n.priority 1\na = 3')).toEqual({ a: 2 });
    expect(json('a = 1; a = 2', { duplicate: 'rewrite' })).toEqual({ a: 2 });
    expect(error('a = 1; a = 2', { duplicate: 'error' }).message).toContain('duplicate element');
  });

  it('13. includes (try, priority, merge, variables in the path, relative to CURDIR) and .inherit', () => {
    const files: Record<string, string> = {
      '/etc/rspamd/local.d/av.conf': 'clamav { servers = "x"; action = "reject" }',
      '/cfg/rel.inc': 'rel = true',
    };
    const readFile = (p: string): string | null => files[p] ?? null;
    const r = parse(
      'clamav { servers = "d"; type = "clamav" }\n.include(try=true,priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/av.conf"\n.try_include "/nope"\n.include "rel.inc"',
      { readFile },
    );
    expect(toJson(r.value)).toEqual({ clamav: { servers: 'x', type: 'clamav', action: 'reject' }, rel: true });
    expect(r.files).toEqual(['/etc/rspamd/local.d/av.conf', '/cfg/rel.inc']);
    const missing = error('a = 1\n  .include "/nope.conf"', { readFile });
    expect([missing.code, missing.position?.line, missing.position?.column]).toEqual(['AVF_ERR_CONFIG_INCLUDE', 2, 3]);
    expect(error('.include "/cfg/test.conf"', { readFile: () => 'a = 1' }).code).toBe('AVF_ERR_CONFIG_INCLUDE');
    expect(error('.include_map "/x"').message).toContain('include_map');
    expect(error('.include(sign=true) "/x"', { readFile }).message).toContain('signed');
    expect(json('b { x = 1; y = 2 } a { .inherit "b"; y = 3 }')).toEqual({ b: { x: 1, y: 2 }, a: { x: 1, y: 3 } });
  });

  it.each([
    ['a = "x\ny"', 'unexpected newline', 1, 7],
    ['a = 1\n/* open', 'unterminated comment', 2, 1],
    ['a {\n b = 1', 'unbalanced braces', 1, 3],
    ['a = 1; }', 'unbalanced braces', 1, 8],
    ["'a' = 1", 'key must begin with a letter', 1, 1],
    ['x = 1\n-a = 1', 'key must begin with a letter', 2, 1],
    ['a = 12345678901234567890', 'numeric value out of range', 1, 5],
  ])('14. %j is a syntax error (%s) at %i:%i', (text, msg, line, column) => {
    const e = error(text);
    expect(e.code).toBe('AVF_ERR_CONFIG_SYNTAX');
    expect(e.message).toContain(msg);
    expect(e.position).toEqual({ file: '/cfg/test.conf', line, column });
  });
});

describe('parseUcl: BOM, templating, metadata', () => {
  it('strips a BOM with a warning, or keeps it with keepBom', () => {
    const r = parse('\uFEFFa = 1');
    expect(toJson(r.value)).toEqual({ a: 1 });
    expect(r.warnings.map((w) => w.code)).toEqual(['AVF_WARN_BOM']);
    expect(Object.keys(parse('\uFEFFa = 1', { keepBom: true }).value)).toEqual(['\uFEFFa']);
  });

  it('renders {= env.NAME =} from RSPAMD_ variables and refuses other templating', () => {
    const env = { RSPAMD_AV_HOST: '10.0.0.9' };
    expect(json("s = \"{= env.AV_HOST =}:3310\"; t = \"{= env.NOPE|default('d') =}\"; u = \"{= env.NOPE =}\"", { env })).toEqual({ s: '10.0.0.9:3310', t: 'd', u: '' });
    expect(error('{% if x %}a = 1{% endif %}', { env }).code).toBe('AVF_ERR_CONFIG_TEMPLATE');
    expect(error('a = "{= 1 + 2 =}"', { env }).code).toBe('AVF_ERR_CONFIG_TEMPLATE');
  });

  it('keeps positions out of JSON.stringify and answers objectPosition/keyPositions', () => {
    const r = parse('x = 1\nclamav {\n  servers = "a"\n}');
    expect(JSON.stringify(r.value)).toBe('{"x":1,"clamav":{"servers":"a"}}');
    const clamav = r.value.clamav as UclObject;
    expect(objectPosition(clamav)).toEqual({ file: '/cfg/test.conf', line: 2, column: 8 });
    expect(keyPositions(clamav, 'servers')).toEqual([{ file: '/cfg/test.conf', line: 3, column: 3 }]);
    expect(keyPositions(clamav, 'nope')).toEqual([]);
  });
});
