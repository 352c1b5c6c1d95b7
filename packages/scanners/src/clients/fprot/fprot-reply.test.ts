import { clean, fail, virus } from '../../verdict';
import { fprotRequestLine, mapFprotReply } from './fprot-reply';

describe('mapFprotReply (docs/scanners.md fprot)', () => {
  it('maps the documented clean and infected replies', () => {
    expect(mapFprotReply('0 <clean> 4F2A1C0B7D')).toEqual(clean());
    expect(mapFprotReply('1 <infected: EICAR_Test_File> 4F2A1C0B7D->eicar.com')).toEqual(virus(['EICAR_Test_File']));
  });

  it('takes codes 2 and 3 as detections and stops the name at the first ">"', () => {
    expect(mapFprotReply('2 <suspicious: W32/Heuristic-210!Eldorado> 4F2A1C0B7D')).toEqual(virus(['W32/Heuristic-210!Eldorado']));
    expect(mapFprotReply('3 <infected: W32/Agent.A> 4F2A1C0B7D->a.zip->b.exe')).toEqual(virus(['W32/Agent.A']));
  });

  it('answers FAIL("unhandled response: …") for error codes and garbage (D4)', () => {
    expect(mapFprotReply('8 <error: no such file> 4F2A1C0B7D')).toEqual(fail('unhandled response: 8 <error: no such file> 4F2A1C0B7D'));
    expect(mapFprotReply('4 <infected: X> id')).toEqual(fail('unhandled response: 4 <infected: X> id'));
    expect(mapFprotReply('hello')).toEqual(fail('unhandled response: hello'));
    expect(mapFprotReply('0 <cleaned> id')).toEqual(fail('unhandled response: 0 <cleaned> id'));
  });

  it('builds the request line of the spec example', () => {
    expect(fprotRequestLine('4F2A1C0B7D', 68)).toBe('SCAN STREAM 4F2A1C0B7D SIZE 68\n');
    expect(fprotRequestLine('a b', 1)).toBe('SCAN STREAM a_b SIZE 1\n');
  });
});
