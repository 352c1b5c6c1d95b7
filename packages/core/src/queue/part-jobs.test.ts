import type { ScanJobData } from '../contracts/scan-job-data';
import { newScanId, scanIdTime } from '../contracts/scan-id';
import { partJobsByQueue, scanJobId } from './part-jobs';

const part = (rule: string, partIndex: string | null): ScanJobData => ({
  v: 1, scanId: 'S', rule, partIndex, key: 'k', sha256: 'h', size: 1, filename: null, contentType: null, substituteEicar: false, configDigest: 'd', deadlineMs: null,
});

describe('partJobsByQueue', () => {
  it('groups one job per (rule, part) by the rule\'s queue, each under its deterministic id', () => {
    const byQueue = partJobsByQueue([part('clamav', '1'), part('sophos', '1'), part('clamav', '2.1'), part('clamav', null)]);
    expect([...byQueue.keys()]).toEqual(['clamav', 'sophos']);
    expect(byQueue.get('clamav')?.map((j) => j.opts.jobId)).toEqual(['S.clamav.1', 'S.clamav.2.1', 'S.clamav.msg']);
    expect(byQueue.get('sophos')?.[0]).toMatchObject({ name: 'scan', data: { rule: 'sophos' }, opts: { jobId: scanJobId('S', 'sophos', '1'), removeOnComplete: true, attempts: 3 } });
  });

  it('refuses a rule whose name cannot be a queue name', () => {
    expect(() => partJobsByQueue([part('a:b', '1')])).toThrow(/contains ':'/);
  });
});

describe('scanIdTime', () => {
  it('reads back the time a scan id was made at, and nothing from what is not a scan id', () => {
    const at = Date.parse('2026-12-07T05:00:00.123Z');
    expect(scanIdTime(newScanId(at))).toBe(at);
    expect(scanIdTime('not-a-scan-id')).toBeNull();
  });
});
