import { clean, encrypted, fail, macro, virus } from '../../verdict';
import { mapKasperskySeReply } from './kaspersky-se-reply';

describe('mapKasperskySeReply (docs/scanners.md kaspersky_se, Reply)', () => {
  it.each([
    ['CLEAN', clean()],
    ['DETECT EICAR-Test-File', virus(['EICAR-Test-File'])],
    ['CLEAN AND CONTAINS OFFICE MACRO', macro('File contains macros')],
    ['DETECT HEUR:Trojan.Script.Generic AND CONTAINS OFFICE MACRO', virus(['HEUR:Trojan.Script.Generic AND CONTAINS OFFICE MACRO'])],
    ['NON_SCANNED (PASSWORD PROTECTED)', encrypted('File is encrypted: PASSWORD PROTECTED')],
    ['NON_SCANNED (CORRUPTED)', fail('unhandled response:NON_SCANNED (CORRUPTED)')],
    ['SERVER_ERROR', fail('error:SERVER_ERROR')],
  ])('maps the documented body %j', (body, expected) => {
    expect(mapKasperskySeReply(200, body)).toEqual(expected);
  });

  it.each(['CANCELED', 'ACCESS DENIED', 'SKIPPED'])('other NON_SCANNED reasons (%s) are unhandled', (reason) => {
    expect(mapKasperskySeReply(200, `NON_SCANNED (${reason})`)).toEqual(fail(`unhandled response:NON_SCANNED (${reason})`));
  });

  it('compares the text between "(" and the LAST ")" of the body', () => {
    expect(mapKasperskySeReply(200, 'NON_SCANNED (PASSWORD PROTECTED) (x)')).toEqual(fail('unhandled response:NON_SCANNED (PASSWORD PROTECTED) (x)'));
    expect(mapKasperskySeReply(200, 'NON_SCANNED (PASSWORD PROTECTED')).toEqual(fail('unhandled response:NON_SCANNED (PASSWORD PROTECTED'));
  });

  it('trims all trailing whitespace (D9)', () => {
    expect(mapKasperskySeReply(200, 'CLEAN\r\n')).toEqual(clean());
    expect(mapKasperskySeReply(200, 'DETECT EICAR-Test-File\r\n \t')).toEqual(virus(['EICAR-Test-File']));
  });

  it('any other text starting with CLEAN, DISINFECTED, DELETED and bare NON_SCANNED are unhandled (no space after the colon)', () => {
    expect(mapKasperskySeReply(200, 'CLEANED')).toEqual(fail('unhandled response:CLEANED'));
    expect(mapKasperskySeReply(200, 'DISINFECTED')).toEqual(fail('unhandled response:DISINFECTED'));
    expect(mapKasperskySeReply(200, 'DELETED')).toEqual(fail('unhandled response:DELETED'));
    expect(mapKasperskySeReply(200, 'NON_SCANNED')).toEqual(fail('unhandled response:NON_SCANNED'));
    expect(mapKasperskySeReply(200, 'DETECT')).toEqual(fail('unhandled response:DETECT'));
  });

  it('takes the name after the first "DETECT "', () => {
    expect(mapKasperskySeReply(200, 'OBJECT DETECT Foo DETECT Bar')).toEqual(virus(['Foo DETECT Bar']));
  });

  it('any status other than 200 is "Bad HTTP code" with weight 1', () => {
    expect(mapKasperskySeReply(500, 'CLEAN')).toEqual(fail('Bad HTTP code: 500', 'error', 1));
    expect(mapKasperskySeReply(401, '')).toEqual(fail('Bad HTTP code: 401', 'error', 1));
  });
});
