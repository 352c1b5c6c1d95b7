import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../observe/logger';
import { FolderObjectStore } from './folder-object-store';
import { MinioObjectStore } from './minio-object-store';
import { Registry } from 'prom-client';
import { createFleetMetrics } from '../observe/fleet-metrics';
import { checkStoreAtStartup, fleetStoreInput, startStoreRetention, type FleetStoreSettings } from './open-fleet-store';
import { PENDING_SCAN_GUARD_MS } from './prune-store';

type Line = { level: string; obj: Record<string, unknown>; msg?: string };
function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string): void => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

const s3Settings = (over: Partial<FleetStoreSettings> = {}): FleetStoreSettings => ({
  store: {
    kind: 's3', bucket: 'mail-store', keyPrefix: 'avf/', endpointUrl: 'http://127.0.0.1:9', endpoint: '127.0.0.1', port: 9, useSSL: false,
    accessKey: '', secretKey: '', region: 'us-east-1',
  },
  storeMode: 'private',
  storeRetentionSec: 3 * 86400,
  storeSetLifecycle: false,
  ...over,
});

function s3Store(): MinioObjectStore {
  return new MinioObjectStore({ bucket: 'mail-store', endpoint: 'http://127.0.0.1:9', accessKey: '', secretKey: '', keyPrefix: 'avf/' });
}

describe('fleetStoreInput', () => {
  it('gives a folder its mode, and a bucket a part refresh at half the retention (none with retention off)', () => {
    const folder: FleetStoreSettings = { store: { kind: 'folder', dir: '/srv/store' }, storeMode: 'group', storeRetentionSec: null, storeSetLifecycle: false };
    expect(fleetStoreInput(folder)).toEqual({ kind: 'folder', dir: '/srv/store', mode: 'group' });
    expect(fleetStoreInput(s3Settings())).toMatchObject({ kind: 's3', refreshPartsOlderThanMs: 1.5 * 86400_000 });
    expect(fleetStoreInput(s3Settings({ storeRetentionSec: null }))).toMatchObject({ refreshPartsOlderThanMs: null });
  });
});

describe('checkStoreAtStartup', () => {
  it('folder: warns AVF_WARN_STORE_MODE for each folder more open than the mode, and changes nothing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'avfleet-audit-'));
    try {
      await fs.chmod(dir, 0o755);
      const lines: Line[] = [];
      await checkStoreAtStartup(new FolderObjectStore(dir), { ...s3Settings(), store: { kind: 'folder', dir } }, recordingLogger(lines));
      expect(lines.map((l) => [l.level, l.obj.code, l.obj.folder, l.obj.mode])).toEqual([['warn', 'AVF_WARN_STORE_MODE', dir, '0755']]);
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o755);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('S3 without a rule: AVF_WARN_STORE_NO_LIFECYCLE naming the prefixes; with AVFLEET_STORE_SET_LIFECYCLE the rules are added instead', async () => {
    const store = s3Store();
    jest.spyOn(store, 'checkLifecycle').mockResolvedValue({ known: true, uncovered: ['avf/messages/', 'avf/parts/'] });
    const add = jest.spyOn(store, 'addExpirationRules').mockResolvedValue();
    const lines: Line[] = [];
    await checkStoreAtStartup(store, s3Settings(), recordingLogger(lines));
    expect(lines.map((l) => [l.level, l.obj.code, l.obj.prefixes, l.obj.days])).toEqual([['warn', 'AVF_WARN_STORE_NO_LIFECYCLE', ['avf/messages/', 'avf/parts/'], 3]]);
    expect(add).not.toHaveBeenCalled();

    lines.length = 0;
    await checkStoreAtStartup(store, s3Settings({ storeSetLifecycle: true, storeRetentionSec: 36 * 3600 }), recordingLogger(lines));
    expect(add).toHaveBeenCalledWith(2);
    expect(lines.map((l) => l.level)).toEqual(['info']);
  });

  it('S3 covered: says nothing; retention off: does not ask', async () => {
    const store = s3Store();
    const check = jest.spyOn(store, 'checkLifecycle').mockResolvedValue({ known: true, uncovered: [] });
    const lines: Line[] = [];
    await checkStoreAtStartup(store, s3Settings(), recordingLogger(lines));
    await checkStoreAtStartup(store, s3Settings({ storeRetentionSec: null }), recordingLogger(lines));
    expect(lines).toEqual([]);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('S3 that cannot say (s3rver, no permission) or fails to take the rule: a warning with a code, never a throw', async () => {
    const store = s3Store();
    jest.spyOn(store, 'checkLifecycle').mockResolvedValueOnce({ known: false, error: 'NotImplemented' }).mockResolvedValueOnce({ known: true, uncovered: ['avf/parts/'] });
    jest.spyOn(store, 'addExpirationRules').mockRejectedValue(new Error('AccessDenied'));
    const lines: Line[] = [];
    await checkStoreAtStartup(store, s3Settings({ storeSetLifecycle: true }), recordingLogger(lines));
    await expect(checkStoreAtStartup(store, s3Settings({ storeSetLifecycle: true }), recordingLogger(lines))).resolves.toBeUndefined();
    expect(lines.map((l) => [l.level, l.obj.code])).toEqual([['warn', 'AVF_WARN_STORE_LIFECYCLE_UNKNOWN'], ['warn', 'AVF_WARN_STORE_LIFECYCLE_UNKNOWN']]);
  });
});

describe('startStoreRetention with the retro-scan on', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('never prunes what the retro-scan still remembers: the cutoff moves back before its oldest stored bytes', async () => {
    const cutoffs: Date[] = [];
    const store = Object.assign(Object.create(FolderObjectStore.prototype) as FolderObjectStore, {
      prune: async (o: { cutoff: Date }) => (cutoffs.push(o.cutoff), { messages: 0, parts: 0, bytes: 0, examined: 0, complete: true }),
    });
    const redis = { set: async (): Promise<'OK'> => 'OK', scan: async (): Promise<[string, string[]]> => ['0', []] };
    const remembered = Date.now() - 5 * 86400_000; // older than the 3-day retention, still in the window
    const stop = startStoreRetention({
      store, settings: { storeRetentionSec: 3 * 86400, queuePrefix: 'p' }, redis, metrics: createFleetMetrics(new Registry()), logger: recordingLogger([]),
      holdSince: async () => remembered,
    });
    await jest.advanceTimersByTimeAsync(6000);
    stop();
    expect(cutoffs).toHaveLength(1);
    expect(cutoffs[0]!.getTime()).toBe(remembered - PENDING_SCAN_GUARD_MS);
  });
});
