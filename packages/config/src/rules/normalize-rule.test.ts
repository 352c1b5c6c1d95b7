import { isHashServiceType, SCANNER_TYPES } from '@avfleet/scanners';
import { Diagnostics } from './diagnostics';
import { normalizeRule } from './normalize-rule';
import type { Rule, RuleOf } from './rule';
import type { TreeObject, TreePositions } from './ucl-view';
import { NO_POSITIONS } from './ucl-view';

function norm(name: string, block: TreeObject, section: 'antivirus' | 'external_services' = 'antivirus', pos: TreePositions = NO_POSITIONS) {
  const diag = new Diagnostics();
  const rule = normalizeRule(name, block, { pos, diag, section });
  return { rule, diag, errors: diag.errors.map((e) => e.message), warnings: diag.warnings };
}
function ok(name: string, block: TreeObject): Rule {
  const { rule, errors } = norm(name, block);
  expect(errors).toEqual([]);
  if (!rule) throw new Error('no rule');
  return rule;
}

describe('normalizeRule: defaults (docs/semantics.md §1–§2, docs/scanners.md summary)', () => {
  it('fills a clamav rule from the block name', () => {
    const r = ok('clamav', { servers: '127.0.0.1' });
    expect(r).toMatchObject({
      name: 'clamav', type: 'clamav', symbol: 'CLAMAV', symbolFail: 'CLAMAV_FAIL',
      symbolEncrypted: 'CLAMAV_ENCRYPTED', symbolMacro: 'CLAMAV_MACRO', prefix: 'rs_clamav_',
      defaultPort: 3310, timeout: 5, retransmits: 2, cacheExpire: 3600, scanMimeParts: true,
      scanTextMime: false, scanImageMime: false, filters: null, action: null, failAction: null,
      actionOn: ['virus', 'encrypted', 'macro'], message: '${SCANNER}: virus found: "${VIRUS}"',
      description: 'antivirus symbol', group: 'antivirus', symbolType: 'normal', score: null,
      defaultScore: 1, rateLimit: null, maxScanTime: 15, section: 'antivirus',
    });
    expect(r.servers?.entries[0]).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3310, priority: 0 });
  });

  it('uses the block name for symbol and type, the name option for prefix', () => {
    const r = ok('clam', { type: 'clamav', name: 'clam2', servers: 'h' });
    expect(r).toMatchObject({ name: 'clam2', symbol: 'CLAM', prefix: 'rs_clam2_' });
  });

  it.each([
    ['fprot', 10200, 5, 2, 3600],
    ['sophos', 4010, 15, 2, 3600],
    ['savapi', 4444, 15, 1, 3600],
    ['kaspersky', 0, 5, 1, 3600],
    ['kaspersky_se', 9999, 5, 1, 7200],
    ['avast', 0, 4, 1, 3600],
  ])('%s defaults', (type, port, timeout, retransmits, cacheExpire) => {
    const r = ok(type, { servers: 'h', product_id: 1 });
    expect(r).toMatchObject({ defaultPort: port, timeout, retransmits, cacheExpire });
    expect(r.servers?.entries[0]).toMatchObject({ port });
  });

  it('ignores default_port for kaspersky and avast, honours it elsewhere', () => {
    const { rule, warnings } = norm('avast', { servers: 'h', default_port: 5000 });
    expect(rule?.servers?.entries[0]).toMatchObject({ port: 0 });
    expect(warnings.some((w) => /default_port is ignored/.test(w.message))).toBe(true);
    expect(ok('clamav', { servers: 'h', default_port: 3399 }).servers?.entries[0]).toMatchObject({ port: 3399 });
  });

  it('fills kaspersky_se, savapi and hash-service specifics', () => {
    expect(ok('kaspersky_se', { socket: 'h:1' }).specific).toEqual({
      type: 'kaspersky_se', tmpdir: '/tmp', useHttps: false, useFiles: false, keepalive: true, authString: null,
    });
    expect(ok('savapi', { servers: 'h', product_id: 12345 }).specific).toEqual({ type: 'savapi', productId: '12345', tmpdir: '/tmp' });
    const vt = ok('virustotal', { apikey: 'k', symbols: { clean: false, high: { score: 9 } } });
    expect(vt).toMatchObject({ servers: null, retransmits: 0, cacheExpire: 7200, action: null, message: '${SCANNER}: spam message found: "${VIRUS}"' });
    if (vt.specific.type !== 'virustotal') throw new Error('type');
    expect(vt.specific).toMatchObject({ url: 'https://www.virustotal.com/vtapi/v2/file', minimumEngines: 3, lowCategory: 5, mediumCategory: 10 });
    expect(vt.specific.symbols.clean.enabled).toBe(false);
    expect(vt.specific.symbols.high).toMatchObject({ symbol: 'VIRUSTOTAL_HIGH', score: 9, enabled: true });
    expect(vt.specific.symbols.low).toMatchObject({ symbol: 'VIRUSTOTAL_LOW', score: 2 });
    const md = ok('metadefender', { apikey: 'k' });
    expect(md.specific).toMatchObject({ url: 'https://api.metadefender.com/v4/hash' });
  });

  it.each([...SCANNER_TYPES])('gives a %s rule the specific options of its own type', (type) => {
    const block: TreeObject = { servers: 'h', socket: 'h:1', apikey: 'k' };
    const { rule, errors } = norm(type, block, type === 'icap' ? 'external_services' : 'antivirus');
    expect(errors).toEqual([]);
    expect(rule?.type).toBe(type);
    expect(rule?.specific.type).toBe(type);
    expect(rule?.servers === null).toBe(isHashServiceType(type));
  });

  it('does not compile a rule whose type, servers and specific options disagree', () => {
    const clam = ok('clamav', { servers: 'h' }) as RuleOf<'clamav'>;
    // @ts-expect-error a clamav rule cannot carry savapi options (tsc -p tsconfig.check.json fails if this compiles)
    const wrong: Rule = { ...clam, specific: { type: 'savapi', tmpdir: '/tmp', productId: '1' } };
    // @ts-expect-error a clamav rule has servers (only hash services have none)
    const noServers: Rule = { ...clam, servers: null };
    const right: Rule = { ...clam, type: 'savapi', specific: { type: 'savapi', tmpdir: '/tmp', productId: '1' } };
    expect([wrong.type, noServers.type, right.type]).toEqual(['clamav', 'clamav', 'savapi']);
  });

  it('builds ICAP rules only in external_services', () => {
    const { rule } = norm('icap', { servers: 'h', scheme: 'squidclamav' }, 'external_services');
    expect(rule).toMatchObject({ type: 'icap', defaultPort: 1344, timeout: 10, retransmits: 2, cacheExpire: 7200, group: 'external_services', description: 'external services symbol', eicarFakePattern: null });
    expect(rule?.specific).toMatchObject({ type: 'icap', options: { scheme: 'squidclamav', ssl: false, user_agent: 'Rspamd' } });
    expect(norm('icap', { servers: 'h' }).errors[0]).toMatch(/ICAP rules belong in external_services/);
  });
});

describe('normalizeRule: coercion and values', () => {
  it('rounds cache_expire and accepts time values', () => {
    expect(ok('clamav', { servers: 'h', cache_expire: 60.4, timeout: 0.5 })).toMatchObject({ cacheExpire: 60, timeout: 0.5 });
  });

  it('normalises action names and action_on', () => {
    expect(ok('clamav', { servers: 'h', action: 'soft_reject' }).action).toBe('soft reject');
    expect(ok('clamav', { servers: 'h', action: 'accept' }).action).toBe('no action');
    expect(ok('clamav', { servers: 'h', action: false }).action).toBeNull();
    expect(ok('clamav', { servers: 'h', action_on: ['virus'] }).actionOn).toEqual(['virus']);
    expect(ok('clamav', { servers: 'h', fail_action: 'soft reject', fail_message: 'retry' })).toMatchObject({ failAction: 'soft reject', failMessage: 'retry' });
    expect(norm('clamav', { servers: 'h', action: 'rejekt' }).errors[0]).toMatch(/unknown action "rejekt" in action/);
    expect(norm('clamav', { servers: 'h', fail_action: 'x' }).errors[0]).toMatch(/fail_action/);
    expect(norm('clamav', { servers: 'h', action_on: ['virus', 'spam'] }).errors[0]).toMatch(/action_on/);
  });

  it('parses rate_limit', () => {
    expect(ok('virustotal', { apikey: 'k', rate_limit: '4/60s' }).rateLimit).toEqual({ max: 4, durationMs: 60000 });
    expect(ok('virustotal', { apikey: 'k', rate_limit: '500/h' }).rateLimit).toEqual({ max: 500, durationMs: 3600000 });
    expect(ok('virustotal', { apikey: 'k', rate_limit: '10/2min' }).rateLimit).toEqual({ max: 10, durationMs: 120000 });
    expect(norm('virustotal', { apikey: 'k', rate_limit: '4 per minute' }).errors[0]).toMatch(/rate_limit/);
  });

  it('compiles patterns and filters in configuration order, list form like map form', () => {
    const r = ok('clamav', {
      servers: 'h',
      patterns: [{ P: '^E' }, { N1: '^EI', N2: '^EIC' }],
      patterns_fail: { F: '^unhandled' },
      mime_parts_filter_ext: [{ a: 'exe' }, { b: 'docm' }],
      mime_parts_filter_regex: { OOXML: 'application/vnd' },
    });
    expect(r.patterns.map((p) => p.name)).toEqual(['P', 'N1', 'N2']);
    expect(r.patternsFail.map((p) => p.source)).toEqual(['^unhandled']);
    expect(r.filters?.ext).toEqual(['exe', 'docm']);
    expect(r.filters?.regex.map((p) => p.name)).toEqual(['OOXML']);
    expect(ok('clamav', { servers: 'h', mime_parts_filter_ext: {} }).filters).toEqual({ regex: [], ext: [] });
  });

  it('reports every bad pattern', () => {
    const { errors, rule } = norm('clamav', { servers: 'h', patterns: { A: 'a++', B: '(?>x)' } });
    expect(rule).toBeNull();
    expect(errors).toHaveLength(2);
  });

  it('maps attachments_only onto scan_mime_parts with a warning', () => {
    const { rule, warnings } = norm('clamav', { servers: 'h', attachments_only: false });
    expect(rule?.scanMimeParts).toBe(false);
    expect(warnings.map((w) => w.code)).toContain('AVF_WARN_DEPRECATED');
  });

  it('rejects wrong types', () => {
    expect(norm('clamav', { servers: 'h', timeout: 'soon' }).errors[0]).toMatch(/timeout must be a number/);
    expect(norm('clamav', { servers: 'h', timeout: '3 s' }).errors[0]).toMatch(/no space between/);
    expect(norm('clamav', { servers: 'h', log_clean: 3 }).errors[0]).toMatch(/log_clean must be true or false/);
    expect(norm('clamav', { servers: 'h', max_size: -1 }).errors[0]).toMatch(/at least 0/);
    expect(norm('clamav', { servers: ['h', 3] }).errors[0]).toMatch(/list of strings/);
  });
});

describe('validateRule: required options and warnings', () => {
  it('requires servers, naming the rule', () => {
    const r = norm('clamav', {});
    expect(r.rule).toBeNull();
    expect(r.errors[0]).toBe('rule "clamav": no servers defined; add servers = "127.0.0.1:3310"');
    expect(r.diag.errors[0]?.code).toBe('AVF_ERR_CONFIG_RULE');
  });

  it('requires apikey for hash services', () => {
    expect(norm('virustotal', {}).errors[0]).toMatch(/no apikey defined for virustotal/);
  });

  it('rejects unknown types with a hint', () => {
    expect(norm('clam', { servers: 'h' }).errors[0]).toMatch(/unknown antivirus type "clam"; add type =/);
    expect(norm('redisx', { type: 'bogus', servers: 'h' }).errors[0]).toMatch(/unknown antivirus type "bogus"/);
  });

  it('rejects a server list with no usable entry', () => {
    expect(norm('clamav', { servers: '::1' }).errors[0]).toMatch(/no usable entry/);
  });

  it('warns about unknown keys with a suggestion', () => {
    const { warnings } = norm('clamav', { servers: 'h', max_szie: 10, tmpdir: '/x', '//': 'comment' });
    const msgs = warnings.filter((w) => w.code === 'AVF_WARN_UNKNOWN_KEY').map((w) => w.message);
    expect(msgs).toEqual([
      'rule "clamav": unknown option max_szie ignored; did you mean max_size?',
      'rule "clamav": option tmpdir is not used by clamav rules (it belongs to other scanner types)',
      'rule "clamav": unknown option // ignored; "//" is not a comment in UCL, use #',
    ]);
  });

  it('warns about scan_text_mime without text_part_min_words and savapi without product_id', () => {
    expect(norm('clamav', { servers: 'h', scan_text_mime: true }).warnings.map((w) => w.code)).toContain('AVF_WARN_TEXT_MIME');
    expect(norm('clamav', { servers: 'h', scan_text_mime: true, text_part_min_words: 5 }).warnings).toEqual([]);
    expect(norm('savapi', { servers: 'h' }).warnings.map((w) => w.code)).toContain('AVF_WARN_NO_PRODUCT_ID');
  });

  it('names both lines of a repeated scalar option (not servers)', () => {
    const block: TreeObject = { servers: ['a', 'b'], timeout: [5, 6] };
    const pos: TreePositions = {
      keyPositions: (_o, k) => (k === 'timeout' ? [{ file: 'f.conf', line: 3, column: 3 }, { file: 'f.conf', line: 4, column: 3 }] : []),
      objectPosition: () => ({ file: 'f.conf', line: 1, column: 1 }),
      isImplicitArray: (_o, k) => k === 'timeout' || k === 'servers',
    };
    const r = norm('clamav', block, 'antivirus', pos);
    expect(r.errors).toEqual(['rule "clamav": option timeout is set more than once (set at f.conf:3:3 and f.conf:4:3); keep one value']);
    expect(r.diag.errors[0]?.position).toEqual({ file: 'f.conf', line: 3, column: 3 });
  });

  it('reports a missing servers option at the block position', () => {
    const pos: TreePositions = { ...NO_POSITIONS, objectPosition: () => ({ file: 'x.conf', line: 7, column: 1 }) };
    expect(norm('clamav', {}, 'antivirus', pos).diag.errors[0]?.format()).toBe('x.conf:7:1: rule "clamav": no servers defined; add servers = "127.0.0.1:3310"');
  });
});
