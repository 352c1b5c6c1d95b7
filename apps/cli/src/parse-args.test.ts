import { parseArgs } from './parse-args';
import type { FlagSpec } from './parse-args';
import { UsageError } from './usage-error';

const SPECS: FlagSpec[] = [
  { name: 'config', valueName: 'PATH', description: '' },
  { name: 'concurrency', valueName: 'N', description: '' },
  { name: 'json', valueName: null, description: '' },
  { name: 'lenient', valueName: null, description: '' },
];
const parse = (...argv: string[]) => parseArgs(argv, SPECS, 'avfleet test');

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgs', () => {
  it('takes values after the flag or after =, switches alone, positionals anywhere', () => {
    expect(parse('a.eml', '--config', 'x.conf', '--json', 'b.eml', '--concurrency=4')).toEqual({
      flags: { config: 'x.conf', json: true, concurrency: '4' },
      positionals: ['a.eml', 'b.eml'],
      help: false,
    });
  });

  it('switch spellings: --no-x, --x=false, --x=yes', () => {
    expect(parse('--no-json').flags).toEqual({ json: false });
    expect(parse('--json=false', '--lenient=yes').flags).toEqual({ json: false, lenient: true });
    expect(usageError(() => parse('--json=perhaps'))).toMatch(/--json is a switch/);
    expect(usageError(() => parse('--no-json=1'))).toMatch(/--no-json takes no value/);
  });

  it('keeps the last of a repeated flag and allows = in values', () => {
    expect(parse('--config', 'a', '--config=b=c').flags.config).toBe('b=c');
  });

  it('-- ends the flags; - is a positional', () => {
    expect(parse('--', '--json', '-')).toEqual({ flags: {}, positionals: ['--json', '-'], help: false });
    expect(parse('-').positionals).toEqual(['-']);
  });

  it('-h and --help set help', () => {
    expect(parse('x', '-h').help).toBe(true);
    expect(parse('--help').help).toBe(true);
  });

  it('a valued flag needs its value', () => {
    expect(usageError(() => parse('--config'))).toBe('--config needs a value (PATH), e.g. avfleet test --config PATH');
    expect(usageError(() => parse('--config', '--json'))).toMatch(/--config needs a value/);
    expect(parse('--concurrency', '-1').flags.concurrency).toBe('-1');
  });

  it('unknown flags are errors with a suggestion', () => {
    expect(usageError(() => parse('--lenent'))).toBe("unknown flag --lenent for 'avfleet test' (did you mean --lenient?); see 'avfleet test --help'");
    expect(usageError(() => parse('--conf', 'x'))).toMatch(/did you mean --config\?/);
    expect(usageError(() => parse('--zzz'))).toBe("unknown flag --zzz for 'avfleet test'; see 'avfleet test --help'");
    expect(usageError(() => parse('-x'))).toMatch(/unknown flag -x/);
  });
});
