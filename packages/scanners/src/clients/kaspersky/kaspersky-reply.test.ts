import { clean, fail, virus } from '../../verdict';
import { kasperskyRequestLine, mapKasperskyReply } from './kaspersky-reply';

const PATH = '/tmp/9b1f0c3e5a7d4e2f8c6b0a1d3e5f7a9b.tmp';

describe('mapKasperskyReply (docs/scanners.md kaspersky, D7)', () => {
  it('maps the documented replies', () => {
    expect(mapKasperskyReply(`${PATH}: OK`, PATH)).toEqual(clean());
    expect(mapKasperskyReply('stream: OK', PATH)).toEqual(clean());
    expect(mapKasperskyReply(`${PATH}: EICAR-Test-File FOUND`, PATH)).toEqual(virus(['EICAR-Test-File']));
  });

  it('needs OK for exactly the path that was sent', () => {
    expect(mapKasperskyReply('/tmp/other.tmp: OK', PATH)).toEqual(fail('unhandled response: /tmp/other.tmp: OK'));
    expect(mapKasperskyReply(`${PATH}: OK `, PATH)).toEqual(fail(`unhandled response: ${PATH}: OK `));
  });

  it('runs the name to the last " FOUND" (greedy, as Rspamd)', () => {
    expect(mapKasperskyReply(`${PATH}: HEUR:Trojan.Script.Generic FOUND`, PATH)).toEqual(virus(['HEUR:Trojan.Script.Generic']));
    expect(mapKasperskyReply(`${PATH}: A FOUND B FOUND`, PATH)).toEqual(virus(['A FOUND B']));
  });

  it('appends the reply to the fail text', () => {
    expect(mapKasperskyReply(`${PATH}: lstat() failed: No such file or directory. ERROR`, PATH)).toEqual(
      fail(`unhandled response: ${PATH}: lstat() failed: No such file or directory. ERROR`),
    );
    expect(mapKasperskyReply('UNKNOWN COMMAND', PATH)).toEqual(fail('unhandled response: UNKNOWN COMMAND'));
  });

  it('writes the request line of the spec', () => {
    expect(kasperskyRequestLine(PATH)).toBe(`nSCAN ${PATH}\n`);
  });
});
