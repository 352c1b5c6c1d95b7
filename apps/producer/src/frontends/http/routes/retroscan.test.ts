import { ApiError } from '../api-error';
import { matchRetroPath, startRequest } from './retroscan';

const NOW = Date.UTC(2026, 0, 2);
const body = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? err.code : 'not an ApiError';
  }
  return undefined;
};

describe('POST /retroscan', () => {
  it('takes a known rule; since defaults to the start of the window and never goes before it', () => {
    expect(startRequest(body({ rule: 'clamav' }), ['clamav'], 3600, NOW)).toEqual({ rule: 'clamav', since: NOW - 3_600_000 });
    expect(startRequest(body({ rule: 'clamav', since: '2026-01-01T23:30:00Z' }), ['clamav'], 3600, NOW)).toEqual({ rule: 'clamav', since: NOW - 1_800_000 });
    expect(startRequest(body({ rule: 'clamav', since: NOW - 60_000 }), ['clamav'], 3600, NOW).since).toBe(NOW - 60_000);
    expect(startRequest(body({ rule: 'clamav', since: '2020-01-01T00:00:00Z' }), ['clamav'], 3600, NOW).since).toBe(NOW - 3_600_000);
  });

  it('refuses bad input with AVF_ERR_BAD_REQUEST', () => {
    for (const b of ['not json', '[]', 'null', { rule: 'other' }, { rule: 'clamav', since: 'yesterday' }, { rule: 'clamav', extra: 1 }, {}]) {
      expect(code(() => startRequest(body(b), ['clamav'], 3600, NOW))).toBe('AVF_ERR_BAD_REQUEST');
    }
  });

  it('routes', () => {
    expect(matchRetroPath('/retroscan')).toEqual({ route: 'retroscan', methods: ['POST'] });
    expect(matchRetroPath('/retro-detections')).toEqual({ route: 'retro_detections', methods: ['GET', 'HEAD'] });
    expect(matchRetroPath('/retroscan/x')).toBeNull();
  });
});
