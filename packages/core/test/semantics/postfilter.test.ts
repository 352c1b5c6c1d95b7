import { virus } from '@avfleet/scanners';
import { buildMessage, EICAR } from './build-message';
import { runPipeline, symbolOptions } from './run-pipeline';

/**
 * docs/semantics.md §4/§9: a `symbol_type = "postfilter"` rule runs after the normal
 * checks, so its `dynamic_scan` also sees what the normal antivirus rules scored
 * and forced; a normal rule only sees the incoming `Score`.
 */
const message = buildMessage([{ filename: 'eicar.com', content: EICAR }], { text: 'hello' });
const conf = (postfilterOpts: string, clamOpts = 'action = "reject";') => `
clam { type = "clamav"; servers = "127.0.0.1:3310"; symbol = "CLAM_VIRUS"; ${clamOpts} }
late { type = "sophos"; servers = "127.0.0.1:4010"; symbol = "LATE_VIRUS"; dynamic_scan = true; ${postfilterOpts} }
`;
const bothFind = () => virus(['Eicar-Test-Signature']);

describe('symbol_type = "postfilter" with dynamic_scan', () => {
  it('is skipped when a normal rule already forced reject', async () => {
    const out = await runPipeline({ conf: conf('symbol_type = "postfilter";'), message, scanner: bothFind });
    expect(symbolOptions(out.result)).toEqual({ CLAM_VIRUS: ['Eicar-Test-Signature'] });
    expect(out.result.skipped).toEqual({ late: 'dynamic_scan' });
    expect(out.result.action).toBe('reject');
  });

  it('is skipped when the incoming score plus the normal rules\' score exceeds twice the reject threshold', async () => {
    const out = await runPipeline({ conf: conf('symbol_type = "postfilter";', 'score = 20;'), message, scanner: bothFind, score: 11 });
    expect(Object.keys(out.result.symbols)).toEqual(['CLAM_VIRUS']);
    expect(out.result.skipped).toEqual({ late: 'dynamic_scan' });
  });

  it('runs when the normal rules leave the message below the bound', async () => {
    const out = await runPipeline({ conf: conf('symbol_type = "postfilter";', 'score = 5;'), message, scanner: bothFind, score: 11 });
    expect(Object.keys(out.result.symbols).sort()).toEqual(['CLAM_VIRUS', 'LATE_VIRUS']);
    expect(out.result.skipped).toEqual({});
  });

  it('as a normal rule (symbol_type = "normal") it does not see the other rules and runs', async () => {
    const out = await runPipeline({ conf: conf('symbol_type = "normal";'), message, scanner: bothFind });
    expect(symbolOptions(out.result)).toEqual({ CLAM_VIRUS: ['Eicar-Test-Signature'], LATE_VIRUS: ['Eicar-Test-Signature'] });
    expect(out.result.skipped).toEqual({});
  });
});
