import * as fs from 'node:fs';
import * as path from 'node:path';
import { isImplicitArray, parseUclFile, toJson } from './index';
import type { UclObject } from './index';

const FIXTURES = path.join(__dirname, 'fixtures');
const readJson = (p: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, p), 'utf8'));

describe('docs/config-format.md §6 examples', () => {
  it.each(['1', '2', '3', '4', '6'])('example %s parses to the printed JSON', (n) => {
    const res = parseUclFile(path.join(FIXTURES, `example${n}`, 'antivirus.conf'));
    expect(toJson(res.value)).toEqual(readJson(`example${n}/expected.json`));
  });

  it('example 4 keeps key order as written', () => {
    const res = parseUclFile(path.join(FIXTURES, 'example4', 'antivirus.conf'));
    const clamav = res.value.clamav as UclObject;
    expect(Object.keys(clamav)).toEqual(['servers', 'patterns', 'message', 'quoted key', 'url', 'cut_url']);
  });

  it('example 5: modules.d + local.d (merge, priority 1) + override.d (priority 10)', () => {
    const dir = path.join(FIXTURES, 'example5');
    const res = parseUclFile(path.join(dir, 'modules.d', 'antivirus.conf'), {
      variables: { LOCAL_CONFDIR: dir, DBDIR: path.join(dir, 'no-such-db') },
    });
    expect(toJson(res.value)).toEqual(readJson('example5/expected.json'));
    expect(JSON.stringify(toJson(res.value))).toBe(JSON.stringify(readJson('example5/expected.json')));
    expect(res.files).toEqual([
      path.join(dir, 'modules.d', 'antivirus.conf'),
      path.join(dir, 'local.d', 'antivirus.conf'),
      path.join(dir, 'override.d', 'antivirus.conf'),
    ]);
  });

  it('example 6 warns about the "//" key and marks servers as an implicit array', () => {
    const res = parseUclFile(path.join(FIXTURES, 'example6', 'antivirus.conf'));
    const clamav = res.value.clamav as UclObject;
    expect(isImplicitArray(clamav, 'servers')).toBe(true);
    expect(res.warnings.map((w) => [w.code, w.position?.line])).toEqual([['AVF_WARN_SLASH_COMMENT', 6]]);
  });

  it('example 7 stand-alone gives a list of two objects', () => {
    const res = parseUclFile(path.join(FIXTURES, 'example7', 'local.d', 'antivirus.conf'));
    expect(toJson(res.value)).toEqual(readJson('example7/expected-standalone.json'));
    expect(isImplicitArray(res.value, 'clamav')).toBe(true);
  });

  it('example 7 included with duplicate=merge gives one merged object', () => {
    const dir = path.join(FIXTURES, 'example7');
    const res = parseUclFile(path.join(dir, 'modules.d', 'antivirus.conf'), { variables: { LOCAL_CONFDIR: dir } });
    expect(toJson(res.value)).toEqual(readJson('example7/expected-included.json'));
  });

  it('example 3 warns about the double-quoted regex escapes with key and position', () => {
    const res = parseUclFile(path.join(FIXTURES, 'example3', 'antivirus.conf'));
    const w = res.warnings.filter((x) => x.code === 'AVF_WARN_DQ_REGEX_ESCAPE');
    expect(w).toHaveLength(1);
    expect(w[0]?.message).toContain('"OOXML"');
    expect(w[0]?.message).toContain('\\.');
    expect(w[0]?.position?.line).toBe(27);
  });
});
