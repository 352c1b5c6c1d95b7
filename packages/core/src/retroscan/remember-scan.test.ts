import { Registry } from 'prom-client';
import type { ScanResult } from '../contracts/scan-result';
import { EMPTY_META } from '../contracts/request-meta';
import { createFleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import { carrierOf, createRetroRecorder, offersOf, type RememberInput } from './remember-scan';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const clean = { kind: 'clean', cached: false, ms: 1 } as const;

function result(): ScanResult {
  const part = (index: number, sha256: string, verdicts: ScanResult['parts'][number]['verdicts']): ScanResult['parts'][number] => ({
    index, path: String(index), filename: `f${index}.pdf`, content_type: 'application/pdf', detected_type: null, size: 10 * index, sha256, verdicts,
  });
  return {
    id: 'SCAN1', state: 'done', action: 'no action', score: 0, required_score: 15, symbols: {}, message: null, skipped: {}, queue_id: 'Q1', elapsed_ms: 3,
    parts: [
      part(1, A, { clamav: clean, other: { kind: 'virus', names: ['X'], cached: false, ms: 1 } }),
      part(2, B, { clamav: { ...clean, cached: true } }),
      part(3, C, { clamav: { kind: 'fail', text: 'down', reason: 'error', cached: false, ms: 1 } }),
    ],
  };
}

const input = (over: Partial<RememberInput> = {}): RememberInput => ({
  receivedAt: Date.UTC(2026, 0, 1), meta: { ...EMPTY_META, queueId: 'Q1', from: '<s@x.org>', rcpt: ['<r@x.org>', 'q@x.org'] },
  retro: { stored: { [A]: { offset: 5, length: 20, encoding: 'base64' }, [B]: null }, messageId: '<m@x>' }, messageKey: 'messages/2026/01/01/SCAN1.eml', ...over,
});

describe('offersOf', () => {
  it('offers each clean (rule, part) with where its bytes are: a range of the stored message, or parts/<sha256>', () => {
    expect(offersOf(result(), input())).toEqual([
      { rule: 'clamav', digest: A, location: { key: 'messages/2026/01/01/SCAN1.eml', range: { offset: 5, length: 20, encoding: 'base64' }, size: 10, filename: 'f1.pdf', contentType: 'application/pdf' } },
      { rule: 'clamav', digest: B, location: { key: `parts/${B}`, size: 20, filename: 'f2.pdf', contentType: 'application/pdf' } },
    ]);
  });

  it('without a stored message (answered from the cache) the parts come without a location: a carrier of what is remembered', () => {
    const { messageKey: _omitted, ...noFlow } = input();
    expect(offersOf(result(), noFlow).map((o) => o.location)).toEqual([null, null]);
    expect(offersOf(result(), input({ retro: undefined })).map((o) => o.location)).toEqual([null, null]);
  });
});

it('carrierOf: the scan, its time, Queue-Id, envelope without brackets and Message-ID', () => {
  expect(carrierOf(result(), input())).toEqual({
    scanId: 'SCAN1', time: '2026-01-01T00:00:00.000Z', queueId: 'Q1', from: 's@x.org', recipients: ['r@x.org', 'q@x.org'], messageId: '<m@x>',
  });
});

describe('the recorder', () => {
  it('counts what was added, carried and refused; a full memory is logged once a minute, a Redis failure is counted and never thrown', async () => {
    const metrics = createFleetMetrics(new Registry());
    const warns: { code?: string }[] = [];
    const logger: Logger = { ...silent, warn: (o) => warns.push(o as { code?: string }), child: () => logger };
    let now = 0;
    let fail = false;
    const recorder = createRetroRecorder({
      memory: { remember: async () => (fail ? Promise.reject(new Error('down')) : { added: 1, carried: 0, full: 1, stats: { entries: 7, bytes: 900 } }) },
      metrics, logger, now: () => now,
    });
    await recorder.remember(result(), input());
    await recorder.remember(result(), input());
    now = 60_000;
    await recorder.remember(result(), input());
    expect(warns.map((w) => w.code)).toEqual(['AVF_WARN_RETROSCAN_FULL', 'AVF_WARN_RETROSCAN_FULL']);
    const value = async (outcome: string): Promise<number> => (await metrics.retroRemembered.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    await expect(value('added')).resolves.toBe(3);
    await expect(value('full')).resolves.toBe(3);
    expect((await metrics.retroRememberedParts.get()).values[0]?.value).toBe(7);
    fail = true;
    await expect(recorder.remember(result(), input())).resolves.toBeUndefined();
    await expect(value('failed')).resolves.toBe(2);
    expect(warns.at(-1)?.code).toBe('AVF_WARN_RETROSCAN_REMEMBER_FAILED');
  });
});
