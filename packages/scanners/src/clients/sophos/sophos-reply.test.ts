import { clean, encrypted, fail, virus, type Verdict } from '../../verdict';
import { SophosReplyParser, sophosRequestHead } from './sophos-reply';

/** Feeds lines until the parser decides; returns the verdict and how many lines it consumed. */
function run(text: string): { verdict: Verdict | null; used: number } {
  const p = new SophosReplyParser();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const v = p.feed(lines[i]!);
    if (v) return { verdict: v, used: i + 1 };
  }
  return { verdict: null, used: lines.length };
}

describe('SophosReplyParser (docs/scanners.md sophos, D5)', () => {
  it('reads the documented clean dialogue', () => {
    expect(run('OK SSSP/1.0\nACC 5E8F2A1B/1\nACC 5E8F2A1B/2\nDONE OK 0000 The function call succeeded\n\nBYE').verdict).toEqual(clean());
  });

  it('reads the documented infected dialogue', () => {
    const r = run('ACC 5E8F2A1B/2\nVIRUS EICAR-AV-Test /tmp/savid_tmpXk2P9q\nOK 0203 /tmp/savid_tmpXk2P9q\nDONE OK 0203 Virus found during virus scan\n');
    expect(r.verdict).toEqual(virus(['EICAR-AV-Test']));
    expect(r.used).toBe(4);
  });

  it('collects every VIRUS name (archives), once each', () => {
    const r = run('ACC x/2\nVIRUS Troj/A-1 /tmp/s/a.exe\nVIRUS EICAR-AV-Test /tmp/s/b.com\nVIRUS Troj/A-1 /tmp/s/c.exe\nDONE OK 0203 Virus found during virus scan');
    expect(r.verdict).toEqual(virus(['Troj/A-1', 'EICAR-AV-Test']));
  });

  it('reports encryption even when ACC and FAIL 0212 arrive together (defect a)', () => {
    expect(run('ACC 5E8F2A1B/2\nFAIL 0212 /tmp/savid_tmpXk2P9q\nDONE FAIL 0212 Password protected file').verdict).toEqual(encrypted('SAVDI: Message is encrypted (FAIL 0212)'));
    expect(run('ACC x/2\nDONE FAIL 0212 Password protected file').verdict).toEqual(encrypted('SAVDI: Message is encrypted (FAIL 0212)'));
  });

  it('maps REJ 4, REJ 1, other REJ and DONE FAIL codes with the exact texts', () => {
    expect(run('ACC 5E8F2A1B/2\nREJ 4').verdict).toEqual(fail('SAVDI: Message oversized (REJ 4)', 'limits'));
    expect(run('OK SSSP/1.0\nREJ 1').verdict).toEqual(fail('SAVDI: Protocol error (REJ 1)'));
    expect(run('REJ 5').verdict).toEqual(fail('unhandled response: REJ 5'));
    expect(run('ACC x/2\nFAIL 0203 /tmp/x\nDONE FAIL 0203 Could not open').verdict).toEqual(fail('unhandled response: DONE FAIL 0203 Could not open'));
  });

  it('ignores informational lines and CR, fails on an unknown line', () => {
    expect(run('OK SSSP/1.0\r\nEVENT ONFILE\r\nTYPE 41\r\nFILE /tmp/x\r\nDONE OK 0000 ok\r').verdict).toEqual(clean());
    expect(run('OK SSSP/1.0\nBYE').verdict).toEqual(fail('unhandled response: BYE'));
    expect(run('ACC x/2\nVIRUS').verdict).toEqual(fail('unhandled response: VIRUS'));
  });

  it('writes the request head of the spec', () => {
    expect(sophosRequestHead(68)).toBe('SSSP/1.0\nSCANDATA 68\n');
  });
});
