import { messageVars, renderMessage } from './render-message';

const VARS = { SCANNER: 'clamav', VIRUS: 'Eicar-Test-Signature' };

describe('renderMessage (docs/semantics.md §8, exact rules)', () => {
  it.each([
    // the spec's table
    ['${SCANNER}: virus found: "${VIRUS}"', 'clamav: virus found: "Eicar-Test-Signature"'],
    ['$SCANNER/$VIRUS', 'clamav/Eicar-Test-Signature'],
    ['${FOO} and $BAR', 'FOO and BAR'],
    // the rules in the text
    ['$VIRUSES', 'VIRUSES'],
    ['cost $ 5', 'cost $ 5'],
    ['${VIRUS', '${VIRUS'],
    ['x ${VIRUS $SCANNER', 'x ${VIRUS clamav'],
    ['$$VIRUS', '$Eicar-Test-Signature'],
    ['${}', '${}'],
    ['${VIRUS-x}', '${VIRUS-x}'],
    ['end $', 'end $'],
    ['$VIRUS_2', 'VIRUS_2'],
    ['${VIRUS}S', 'Eicar-Test-SignatureS'],
    ['Rejected', 'Rejected'],
    ['$constructor', 'constructor'],
  ])('%s → %s', (template, expected) => {
    expect(renderMessage(template, VARS)).toBe(expected);
  });

  it('joins every text with "; " for ${VIRUS}', () => {
    expect(renderMessage('$SCANNER: ${VIRUS}', messageVars('sophos', ['A', 'B']))).toBe('sophos: A; B');
  });
});
