import { clean, fail, virus, type Verdict } from '../../verdict';
import { AvastScanReply, isAvastGreeting, unescapeAvastName } from './avast-reply';

const P = '/tmp/00908235ee9e267fa2f4c83fb4304c63.avtmp';

function run(lines: string[]): Verdict | null {
  const r = new AvastScanReply();
  for (const l of lines) {
    const v = r.feed(l);
    if (v) return v;
  }
  return null;
}

describe('avast replies (docs/scanners.md avast, D12, D13)', () => {
  it('checks the greeting', () => {
    expect(isAvastGreeting('220 DAEMON')).toBe(true);
    expect(isAvastGreeting('220')).toBe(false);
    expect(isAvastGreeting('500 busy')).toBe(false);
  });

  it('maps the documented clean and infected dialogues', () => {
    expect(run(['210 SCAN DATA', `SCAN ${P}\t[+]`, '200 SCAN OK'])).toEqual(clean());
    expect(run(['210 SCAN DATA', `SCAN ${P}\t[L]0.0\t0 Eicar\\ [Heur]`, '200 SCAN OK'])).toEqual(virus(['Eicar [Heur]']));
  });

  it('maps the documented error line to FAIL("error:<text>")', () => {
    expect(run(['210 SCAN DATA', `SCAN ${P}\t[E]42.0\tError 42 Symbolic link or not a regular file`, '200 SCAN OK'])).toEqual(
      fail('error:Symbolic link or not a regular file'),
    );
  });

  it('decides once for archives: an infected member before a clean one still wins (D12)', () => {
    expect(
      run([
        '210 SCAN DATA',
        `SCAN ${P}|>a.exe\t[L]9.0\t0 Win32:Malware-gen`,
        `SCAN ${P}|>b\\\\c.com\t[L]0.0\t0 EICAR\\ Test-NOT\\ virus!!!`,
        `SCAN ${P}|>readme.txt\t[+]`,
        `SCAN ${P}\t[+]`,
        '200 SCAN OK',
      ]),
    ).toEqual(virus(['Win32:Malware-gen', 'EICAR Test-NOT virus!!!']));
    expect(run(['210 SCAN DATA', `SCAN ${P}|>x\t[E]42.0\tError 42 first`, `SCAN ${P}|>y\t[E]13.0\tError 13 second`, `SCAN ${P}\t[+]`, '200 SCAN OK'])).toEqual(fail('error:first'));
  });

  it('fails on short and unknown lines, ignores empty ones (D13)', () => {
    expect(run(['210 SCAN DATA', 'OK', '200 SCAN OK'])).toEqual(fail('unhandled response: OK'));
    expect(run(['210 SCAN DATA', '', 'something odd', '200 SCAN OK'])).toEqual(fail('unhandled response: something odd'));
    expect(run(['210 SCAN DATA', '', `SCAN ${P}\t[+]`])).toBeNull();
  });

  it('unescapes "\\ " and "\\\\"', () => {
    expect(unescapeAvastName('a\\ b\\\\c\\d')).toBe('a b\\c\\d');
  });
});
