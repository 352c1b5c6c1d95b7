import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { FLEET_DEFAULTS } from './fleet-defaults';
import { defaultInflightBytes } from './inflight-default';
import type { FleetRole } from './fleet-settings';
import { resolveFleetSettings } from './resolve-fleet-settings';
import type { SettingFlags } from './read-env';

const HOME = '/home/tester';
const CWD = '/srv/work';

function resolve(opts: { flags?: SettingFlags; env?: NodeJS.ProcessEnv; role?: FleetRole } = {}) {
  return resolveFleetSettings({ flags: opts.flags ?? {}, env: opts.env ?? {}, role: opts.role ?? 'cli', homeDir: HOME, cwd: CWD });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('AVF_ERR_CONFIG_SETTINGS');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'avfleet-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('defaults (docs/interfaces.md §2, docs/semantics.md §10.3)', () => {
  it('fills every field exactly as the contract writes it', () => {
    const s = resolve();
    expect(s).toEqual({
      configPath: null,
      settingsFile: null,
      redisUrl: 'redis://127.0.0.1:6379/0',
      redisClusterNodes: null,
      store: { kind: 'folder', dir: '/home/tester/.local/state/avfleet/store' },
      storeMode: 'private',
      storeRetentionSec: 3 * 86400,
      storeSetLifecycle: false,
      listen: { host: '127.0.0.1', port: 11333 },
      metricsListen: { host: '127.0.0.1', port: 9464 },
      queues: null,
      concurrency: 8,
      producerProcesses: 1,
      queuePrefix: 'avfleet',
      queueLanes: null,
      maxWaiting: 10000,
      resultTtlSec: 3600,
      stalledIntervalSec: 30,
      maxMessageBytes: 52428800,
      maxInflightBytes: defaultInflightBytes(52428800),
      apiToken: null,
      adminToken: null,
      quarantine: { mode: 'off', retentionDays: 30, maxEntries: 100000, maxBytes: 10737418240, releaseSmtp: null },
      webhook: { url: null, secret: null, timeoutSec: 10, attempts: 12, maxWaiting: 10000 },
      retroscan: { enabled: false, windowSec: 86400, maxEntries: 100000, maxBytes: 134217728, maxCarriers: 20, concurrency: 2, ratePerSec: 20 },
      actions: { reject: 15, 'add header': 6, greylist: 4 },
      cacheRspamdCompat: false,
      archive: { maxDepth: 8, maxMembers: 1000, maxBytes: 104857600, maxRatio: 100 },
      mime: { maxParts: 1000, maxDepth: 32, maxHeaderBytes: 1048576 },
      logLevel: 'info',
      upstream: { errorTimeSec: 10, maxErrors: 4, reviveTimeSec: 60 },
      lenient: false,
      clamdListen: null,
      clamdDeadlineSec: 4,
      milter: { listen: null, deadlineSec: 60, addHeaders: true, maxConnections: 256 },
    });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.store)).toBe(true);
    expect(Object.isFrozen(FLEET_DEFAULTS.actions)).toBe(true);
  });

  it('store mode, retention and lifecycle: parsed, off means null, too short or unknown refused naming the variable', () => {
    const s = resolve({ env: { AVFLEET_STORE_MODE: 'Group', AVFLEET_STORE_RETENTION: '12h', AVFLEET_STORE_SET_LIFECYCLE: 'yes' } });
    expect([s.storeMode, s.storeRetentionSec, s.storeSetLifecycle]).toEqual(['group', 12 * 3600, true]);
    for (const off of ['0', 'off', 'OFF', 'none']) expect(resolve({ env: { AVFLEET_STORE_RETENTION: off } }).storeRetentionSec).toBeNull();
    expect(resolve({ env: { AVFLEET_STORE_RETENTION: '60' } }).storeRetentionSec).toBe(60);
    for (const bad of ['59s', '1m30x', '-1d', 'week']) {
      expect(errorOf(() => resolve({ env: { AVFLEET_STORE_RETENTION: bad } })).message).toMatch(/AVFLEET_STORE_RETENTION must be a duration of at least 60s/);
    }
    expect(errorOf(() => resolve({ env: { AVFLEET_STORE_MODE: 'shared' } })).message).toMatch(/AVFLEET_STORE_MODE must be one of private, group, got 'shared'/);
  });

  it('metrics listen: producer and scan use their --listen, worker 127.0.0.1:9464', () => {
    const env = { AVFLEET_CONFIG: '/etc/av.conf' };
    expect(resolve({ role: 'producer', env }).metricsListen).toEqual({ host: '127.0.0.1', port: 11333 });
    expect(resolve({ role: 'producer', env, flags: { listen: '0.0.0.0:8080' } }).metricsListen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(resolve({ role: 'scan' }).metricsListen).toEqual({ host: '127.0.0.1', port: 11333 });
    expect(resolve({ role: 'worker', env, flags: { listen: '0.0.0.0:8080' } }).metricsListen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(resolve({ role: 'worker', env, flags: { 'metrics-listen': ':9100' } }).metricsListen).toEqual({ host: '0.0.0.0', port: 9100 });
  });

  it('clamd front end: off by default; --clamd-listen or AVFLEET_CLAMD_LISTEN turns it on; AVFLEET_CLAMD_DEADLINE bounds its answers', () => {
    const env = { AVFLEET_CONFIG: '/etc/av.conf' };
    expect(resolve({ role: 'producer', env }).clamdListen).toBeNull();
    expect(resolve({ role: 'producer', env, flags: { 'clamd-listen': '127.0.0.1:3311' } }).clamdListen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3311 });
    expect(resolve({ role: 'producer', env: { ...env, AVFLEET_CLAMD_LISTEN: 'unix:/run/av.sock' } }).clamdListen).toEqual({ kind: 'unix', path: '/run/av.sock' });
    expect(resolve({ role: 'producer', env: { ...env, AVFLEET_CLAMD_DEADLINE: '9.5' } }).clamdDeadlineSec).toBe(9.5);
    expect(errorOf(() => resolve({ role: 'producer', env: { ...env, AVFLEET_CLAMD_LISTEN: 'clamd' } })).message).toMatch(/AVFLEET_CLAMD_LISTEN must be HOST:PORT or unix:/);
    expect(errorOf(() => resolve({ role: 'producer', env: { ...env, AVFLEET_CLAMD_DEADLINE: '0' } })).message).toMatch(/AVFLEET_CLAMD_DEADLINE must be a positive/);
  });

  it('producer and worker require --config; scan and cli do not', () => {
    expect(errorOf(() => resolve({ role: 'producer' })).message).toMatch(/avfleet producer needs --config PATH \(or AVFLEET_CONFIG\)/);
    expect(errorOf(() => resolve({ role: 'worker' })).message).toMatch(/avfleet worker needs --config/);
    expect(resolve({ role: 'scan' }).configPath).toBeNull();
    expect(resolve({ role: 'worker', flags: { config: 'conf/antivirus.conf' } }).configPath).toBe('/srv/work/conf/antivirus.conf');
  });
});

describe('precedence: flag > environment > settings file > default', () => {
  it('applies each layer in order', () => {
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'concurrency: 3\nredis_url: redis://file:6379/1\nqueue_prefix: fromfile\n');
    const env = { AVFLEET_SETTINGS: file, AVFLEET_CONCURRENCY: '5', AVFLEET_REDIS_URL: 'redis://env:6379/2' };
    const s = resolve({ env, flags: { concurrency: '7' } });
    expect(s.concurrency).toBe(7); // flag
    expect(s.redisUrl).toBe('redis://env:6379/2'); // env over file
    expect(s.queuePrefix).toBe('fromfile'); // file over default
    expect(s.maxWaiting).toBe(10000); // default
    expect(s.settingsFile).toBe(file);
    expect(resolve({ env }).concurrency).toBe(5);
  });

  it('Redis Cluster seed nodes: HOST:PORT list, IPv6 in brackets, duplicates dropped; unset means one Redis', () => {
    expect(resolve({ env: { AVFLEET_REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002,10.0.0.1:7000' } }).redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 }, { host: 'redis-b', port: 7001 }, { host: '::1', port: 7002 },
    ]);
    expect(resolve().redisClusterNodes).toBeNull();
    expect(resolve({ env: { AVFLEET_QUEUE_LANES: '6' } }).queueLanes).toBe(6);
    expect(() => resolve({ env: { AVFLEET_QUEUE_LANES: '65' } })).toThrow(/AVFLEET_QUEUE_LANES/);
  });

  it('the retro-scan: off by default; AVFLEET_RETROSCAN=on, _WINDOW, _MAX_*, _CONCURRENCY, _RATE', () => {
    const s = resolve({
      env: {
        AVFLEET_RETROSCAN: 'on', AVFLEET_RETROSCAN_WINDOW: '2h', AVFLEET_RETROSCAN_MAX_ENTRIES: '10', AVFLEET_RETROSCAN_MAX_BYTES: '1M',
        AVFLEET_RETROSCAN_MAX_CARRIERS: '3', AVFLEET_RETROSCAN_CONCURRENCY: '4', AVFLEET_RETROSCAN_RATE: '5',
      },
    });
    expect(s.retroscan).toEqual({ enabled: true, windowSec: 7200, maxEntries: 10, maxBytes: 1048576, maxCarriers: 3, concurrency: 4, ratePerSec: 5 });
    expect(() => resolve({ env: { AVFLEET_RETROSCAN: 'sometimes' } })).toThrow(/AVFLEET_RETROSCAN/);
    expect(() => resolve({ env: { AVFLEET_RETROSCAN_MAX_CARRIERS: '0' } })).toThrow(/AVFLEET_RETROSCAN_MAX_CARRIERS/);
  });

  it('the quarantine: off by default; AVFLEET_QUARANTINE, _DAYS, _MAX_*, AVFLEET_RELEASE_SMTP and AVFLEET_ADMIN_TOKEN', () => {
    const s = resolve({
      env: {
        AVFLEET_QUARANTINE: 'virus', AVFLEET_QUARANTINE_DAYS: '7', AVFLEET_QUARANTINE_MAX_ENTRIES: '10', AVFLEET_QUARANTINE_MAX_BYTES: '1M',
        AVFLEET_RELEASE_SMTP: '127.0.0.1:2525', AVFLEET_ADMIN_TOKEN: 'sesame',
      },
    });
    expect(s.quarantine).toEqual({ mode: 'virus', retentionDays: 7, maxEntries: 10, maxBytes: 1048576, releaseSmtp: { host: '127.0.0.1', port: 2525 } });
    expect(s.adminToken).toBe('sesame');
    expect(() => resolve({ env: { AVFLEET_QUARANTINE: 'all' } })).toThrow(/AVFLEET_QUARANTINE/);
  });

  it('the webhook: off by default; AVFLEET_WEBHOOK_URL (http/https only), _SECRET, _TIMEOUT, _ATTEMPTS (1 to 20), _MAX_WAITING', () => {
    const s = resolve({
      env: {
        AVFLEET_WEBHOOK_URL: 'https://hooks.example.org/avfleet', AVFLEET_WEBHOOK_SECRET: 'k3y', AVFLEET_WEBHOOK_TIMEOUT: '2.5',
        AVFLEET_WEBHOOK_ATTEMPTS: '5', AVFLEET_WEBHOOK_MAX_WAITING: '100',
      },
    });
    expect(s.webhook).toEqual({ url: 'https://hooks.example.org/avfleet', secret: 'k3y', timeoutSec: 2.5, attempts: 5, maxWaiting: 100 });
    expect(() => resolve({ env: { AVFLEET_WEBHOOK_URL: 'ftp://hooks.example.org/' } })).toThrow(/AVFLEET_WEBHOOK_URL/);
    expect(() => resolve({ env: { AVFLEET_WEBHOOK_URL: 'hooks.example.org' } })).toThrow(/AVFLEET_WEBHOOK_URL/);
    expect(() => resolve({ env: { AVFLEET_WEBHOOK_ATTEMPTS: '21' } })).toThrow(/AVFLEET_WEBHOOK_ATTEMPTS/);
    expect(() => resolve({ env: { AVFLEET_WEBHOOK_ATTEMPTS: '0' } })).toThrow(/AVFLEET_WEBHOOK_ATTEMPTS/);
  });

  it('treats an empty environment variable as unset', () => {
    expect(resolve({ env: { AVFLEET_CONCURRENCY: '', AVFLEET_API_TOKEN: '' } })).toMatchObject({ concurrency: 8, apiToken: null });
  });

  it('the milter: off by default; --milter-listen and AVFLEET_MILTER_* (HOST:PORT or unix:PATH)', () => {
    expect(resolve().milter.listen).toBeNull();
    expect(resolve({ flags: { 'milter-listen': '127.0.0.1:11332' } }).milter.listen).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 11332 });
    expect(resolve({ env: { AVFLEET_MILTER_LISTEN: ':11332' } }).milter.listen).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 11332 });
    expect(resolve({ env: { AVFLEET_MILTER_LISTEN: 'unix:/run/avfleet/milter.sock' } }).milter.listen).toEqual({ kind: 'unix', path: '/run/avfleet/milter.sock' });
    const s = resolve({ env: { AVFLEET_MILTER_DEADLINE: '1.5m', AVFLEET_MILTER_HEADERS: 'off', AVFLEET_MILTER_MAX_CONNECTIONS: '20' } });
    expect(s.milter).toEqual({ listen: null, deadlineSec: 90, addHeaders: false, maxConnections: 20 });
  });

  it('--lenient switch and AVFLEET_LENIENT_CONFIG', () => {
    expect(resolve({ flags: { lenient: true } }).lenient).toBe(true);
    expect(resolve({ env: { AVFLEET_LENIENT_CONFIG: 'yes' } }).lenient).toBe(true);
    expect(resolve({ env: { AVFLEET_LENIENT_CONFIG: 'true' }, flags: { lenient: false } }).lenient).toBe(false);
  });

  it('parses every environment setting', () => {
    const s = resolve({
      env: {
        AVFLEET_QUEUES: 'clamav, sophos,aggregate,clamav',
        AVFLEET_MAX_WAITING: '50',
        AVFLEET_RESULT_TTL: '2h',
        AVFLEET_MAX_MESSAGE_BYTES: '10M',
        AVFLEET_API_TOKEN: 's3cret',
        AVFLEET_ACTIONS: 'reject=20, add_header=5.5,rewrite subject=7',
        AVFLEET_CACHE_RSPAMD_COMPAT: 'true',
        AVFLEET_ARCHIVE_MAX_DEPTH: '3',
        AVFLEET_ARCHIVE_MAX_MEMBERS: '10',
        AVFLEET_ARCHIVE_MAX_BYTES: '1048576',
        AVFLEET_ARCHIVE_MAX_RATIO: '12.5',
        AVFLEET_MIME_MAX_PARTS: '50',
        AVFLEET_MIME_MAX_DEPTH: '4',
        AVFLEET_MIME_MAX_HEADER_BYTES: '64k',
        LOG_LEVEL: 'DEBUG',
        AVFLEET_UPSTREAM_ERROR_TIME: '2.5',
        AVFLEET_UPSTREAM_MAX_ERRORS: '2',
        AVFLEET_UPSTREAM_REVIVE_TIME: '1m',
        AVFLEET_LISTEN: '[::1]:11334',
        AVFLEET_STORE: '~/avstore',
      },
    });
    expect(s).toMatchObject({
      queues: ['clamav', 'sophos', 'aggregate'],
      maxWaiting: 50,
      resultTtlSec: 7200,
      maxMessageBytes: 10 * 1024 * 1024,
      apiToken: 's3cret',
      actions: { reject: 20, 'add header': 5.5, 'rewrite subject': 7 },
      cacheRspamdCompat: true,
      archive: { maxDepth: 3, maxMembers: 10, maxBytes: 1048576, maxRatio: 12.5 },
      mime: { maxParts: 50, maxDepth: 4, maxHeaderBytes: 65536 },
      logLevel: 'debug',
      upstream: { errorTimeSec: 2.5, maxErrors: 2, reviveTimeSec: 60 },
      listen: { host: '::1', port: 11334 },
      store: { kind: 'folder', dir: '/home/tester/avstore' },
    });
    expect(s.actions).not.toHaveProperty('greylist');
  });
});

describe('validation errors name the source and what is expected', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['concurrency', { AVFLEET_CONCURRENCY: 'abc' }, /^AVFLEET_CONCURRENCY must be a positive integer, got 'abc'$/],
    ['concurrency zero', { AVFLEET_CONCURRENCY: '0' }, /AVFLEET_CONCURRENCY must be a positive integer, got '0'/],
    ['concurrency fraction', { AVFLEET_CONCURRENCY: '1.5' }, /AVFLEET_CONCURRENCY must be a positive integer/],
    ['redis', { AVFLEET_REDIS_URL: 'http://x' }, /AVFLEET_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL .*got 'http:\/\/x'/],
    ['cluster nodes without port', { AVFLEET_REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2' }, /AVFLEET_REDIS_CLUSTER_NODES must be a comma-separated list of HOST:PORT/],
    ['cluster nodes without host', { AVFLEET_REDIS_CLUSTER_NODES: ':7000' }, /AVFLEET_REDIS_CLUSTER_NODES must be a comma-separated list of HOST:PORT/],
    ['cluster nodes empty list', { AVFLEET_REDIS_CLUSTER_NODES: ' , ' }, /AVFLEET_REDIS_CLUSTER_NODES must be a comma-separated list of HOST:PORT/],
    ['listen', { AVFLEET_LISTEN: '127.0.0.1' }, /AVFLEET_LISTEN must be HOST:PORT .*got '127.0.0.1'/],
    ['listen port', { AVFLEET_LISTEN: 'localhost:70000' }, /AVFLEET_LISTEN must be HOST:PORT/],
    ['metrics', { AVFLEET_METRICS_LISTEN: 'x:y' }, /AVFLEET_METRICS_LISTEN must be HOST:PORT/],
    ['milter listen', { AVFLEET_MILTER_LISTEN: 'unix:relative.sock' }, /AVFLEET_MILTER_LISTEN must be HOST:PORT or unix:\/ABSOLUTE\/PATH/],
    ['milter listen port', { AVFLEET_MILTER_LISTEN: '127.0.0.1' }, /AVFLEET_MILTER_LISTEN must be HOST:PORT or unix:/],
    ['milter deadline', { AVFLEET_MILTER_DEADLINE: '0' }, /AVFLEET_MILTER_DEADLINE must be a positive number of seconds/],
    ['milter headers', { AVFLEET_MILTER_HEADERS: 'some' }, /AVFLEET_MILTER_HEADERS must be true or false/],
    ['milter connections', { AVFLEET_MILTER_MAX_CONNECTIONS: '0' }, /AVFLEET_MILTER_MAX_CONNECTIONS must be a positive integer/],
    ['queues', { AVFLEET_QUEUES: ' , ' }, /AVFLEET_QUEUES must be a comma-separated list/],
    ['queues colon', { AVFLEET_QUEUES: 'a:b' }, /AVFLEET_QUEUES must be a comma-separated list/],
    ['prefix', { AVFLEET_QUEUE_PREFIX: 'a b' }, /AVFLEET_QUEUE_PREFIX must be a queue prefix without spaces/],
    ['max waiting', { AVFLEET_MAX_WAITING: '-1' }, /AVFLEET_MAX_WAITING must be a positive integer, got '-1'/],
    ['ttl', { AVFLEET_RESULT_TTL: 'soon' }, /AVFLEET_RESULT_TTL must be a positive whole number of seconds/],
    ['bytes', { AVFLEET_MAX_MESSAGE_BYTES: '5X' }, /AVFLEET_MAX_MESSAGE_BYTES must be a positive number of bytes/],
    ['token', { AVFLEET_API_TOKEN: 'a b' }, /AVFLEET_API_TOKEN must be a token without spaces/],
    ['actions name', { AVFLEET_ACTIONS: 'drop=3' }, /AVFLEET_ACTIONS must be a list of ACTION=SCORE pairs .*got 'drop=3'/],
    ['actions score', { AVFLEET_ACTIONS: 'reject=x' }, /AVFLEET_ACTIONS must be a list of ACTION=SCORE pairs/],
    ['actions twice', { AVFLEET_ACTIONS: 'reject=1,reject=2' }, /AVFLEET_ACTIONS names 'reject' twice/],
    ['compat', { AVFLEET_CACHE_RSPAMD_COMPAT: 'maybe' }, /AVFLEET_CACHE_RSPAMD_COMPAT must be true or false, got 'maybe'/],
    ['depth', { AVFLEET_ARCHIVE_MAX_DEPTH: 'deep' }, /AVFLEET_ARCHIVE_MAX_DEPTH must be a positive integer/],
    ['members', { AVFLEET_ARCHIVE_MAX_MEMBERS: '0' }, /AVFLEET_ARCHIVE_MAX_MEMBERS must be a positive integer/],
    ['archive bytes', { AVFLEET_ARCHIVE_MAX_BYTES: '' + 'lots' }, /AVFLEET_ARCHIVE_MAX_BYTES must be a positive number of bytes/],
    ['ratio', { AVFLEET_ARCHIVE_MAX_RATIO: '0' }, /AVFLEET_ARCHIVE_MAX_RATIO must be a positive number/],
    ['log', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'verbose'/],
    ['error time', { AVFLEET_UPSTREAM_ERROR_TIME: '-3' }, /AVFLEET_UPSTREAM_ERROR_TIME must be a positive number of seconds/],
    ['max errors', { AVFLEET_UPSTREAM_MAX_ERRORS: 'four' }, /AVFLEET_UPSTREAM_MAX_ERRORS must be a positive integer/],
    ['revive', { AVFLEET_UPSTREAM_REVIVE_TIME: '0' }, /AVFLEET_UPSTREAM_REVIVE_TIME must be a positive number of seconds/],
    ['lenient', { AVFLEET_LENIENT_CONFIG: 'sometimes' }, /AVFLEET_LENIENT_CONFIG must be true or false/],
    ['store scheme', { AVFLEET_STORE: 'ftp://host/x' }, /AVFLEET_STORE must be a directory or s3:\/\/BUCKET/],
    ['s3 bucket', { AVFLEET_STORE: 's3://A_B', AVFLEET_S3_ENDPOINT: 'http://h:9000' }, /AVFLEET_STORE must be s3:\/\/BUCKET/],
    ['s3 endpoint missing', { AVFLEET_STORE: 's3://mail' }, /AVFLEET_STORE is an s3:\/\/ store, which needs AVFLEET_S3_ENDPOINT/],
    ['s3 endpoint bad', { AVFLEET_STORE: 's3://mail', AVFLEET_S3_ENDPOINT: 'minio:9000' }, /AVFLEET_S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    ['s3 half keys', { AVFLEET_STORE: 's3://mail', AVFLEET_S3_ENDPOINT: 'http://h', AVFLEET_S3_ACCESS_KEY: 'k' }, /AVFLEET_S3_SECRET_KEY is unset while its partner is set/],
  ];
  it.each(cases)('%s', (_name, env, message) => {
    expect(errorOf(() => resolve({ env })).message).toMatch(message);
  });

  it('names the flag when the value came from a flag', () => {
    expect(errorOf(() => resolve({ flags: { concurrency: 'abc' } })).message).toBe("--concurrency must be a positive integer, got 'abc'");
    expect(errorOf(() => resolve({ flags: { redis: true } })).message).toMatch(/--redis needs a value \(URL\)/);
  });

  it('reports every problem at once', () => {
    const err = errorOf(() => resolve({ env: { AVFLEET_CONCURRENCY: 'x', LOG_LEVEL: 'loud' } }));
    expect(err.message.split('\n')).toEqual([
      "AVFLEET_CONCURRENCY must be a positive integer, got 'x'",
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'",
    ]);
  });

  it('points at the settings-file line of a bad value', () => {
    const file = join(dir, 's.yml');
    writeFileSync(file, '# fleet\nlisten: 127.0.0.1:1\nconcurrency: many\n');
    const err = errorOf(() => resolve({ env: { AVFLEET_SETTINGS: file } }));
    expect(err.format()).toBe(`${file}:3:14: concurrency must be a positive integer, got 'many'`);
  });
});

describe('s3 store', () => {
  it('parses bucket, prefix, endpoint, keys and region', () => {
    const s = resolve({
      flags: { store: 's3://mail-store/avfleet/' },
      env: { AVFLEET_S3_ENDPOINT: 'http://127.0.0.1:14568', AVFLEET_S3_ACCESS_KEY: 'S3RVER', AVFLEET_S3_SECRET_KEY: 'S3RVER' },
    });
    expect(s.store).toEqual({
      kind: 's3',
      bucket: 'mail-store',
      keyPrefix: 'avfleet/',
      endpointUrl: 'http://127.0.0.1:14568',
      endpoint: '127.0.0.1',
      port: 14568,
      useSSL: false,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
    });
  });

  it('https endpoints default to port 443 and SSL; region and anonymous access', () => {
    const s = resolve({ env: { AVFLEET_STORE: 's3://bucket', AVFLEET_S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', AVFLEET_S3_REGION: 'eu-west-1' } });
    expect(s.store).toMatchObject({ kind: 's3', bucket: 'bucket', keyPrefix: '', endpoint: 's3.eu-west-1.amazonaws.com', port: 443, useSSL: true, region: 'eu-west-1', accessKey: '', secretKey: '' });
  });

  it('folder forms: ~, relative, file://', () => {
    expect(resolve({ flags: { store: '~' } }).store).toEqual({ kind: 'folder', dir: HOME });
    expect(resolve({ flags: { store: 'data/store' } }).store).toEqual({ kind: 'folder', dir: '/srv/work/data/store' });
    expect(resolve({ flags: { store: 'file:///var/lib/avfleet' } }).store).toEqual({ kind: 'folder', dir: '/var/lib/avfleet' });
  });
});

describe('AVFLEET_STALLED_INTERVAL', () => {
  const resolve = (v: string) => resolveFleetSettings({ flags: {}, env: { AVFLEET_STALLED_INTERVAL: v, AVFLEET_CONFIG: '/etc/avfleet/antivirus.conf' }, role: 'worker', homeDir: '/home/tester' });
  it('takes seconds with suffixes down to half a second', () => {
    expect(resolve('2').stalledIntervalSec).toBe(2);
    expect(resolve('1m').stalledIntervalSec).toBe(60);
    expect(resolve('0.5').stalledIntervalSec).toBe(0.5);
  });
  it('refuses less than half a second, naming the variable', () => {
    expect(() => resolve('0.1')).toThrow(/AVFLEET_STALLED_INTERVAL must be a number of seconds, at least 0.5/);
  });
});

describe('AVFLEET_PRODUCER_PROCESSES', () => {
  const env = { AVFLEET_CONFIG: '/etc/avfleet/antivirus.conf' };
  const processes = (opts: { flags?: SettingFlags; env?: NodeJS.ProcessEnv }) =>
    resolve({ role: 'producer', flags: opts.flags, env: { ...env, ...opts.env } }).producerProcesses;

  it('defaults to one process', () => {
    expect(processes({})).toBe(1);
  });

  it('takes the flag, the environment and the settings file, in that order', () => {
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'producer_processes: 3\n');
    expect(processes({ env: { AVFLEET_SETTINGS: file } })).toBe(3);
    expect(processes({ env: { AVFLEET_SETTINGS: file, AVFLEET_PRODUCER_PROCESSES: '4' } })).toBe(4);
    expect(processes({ env: { AVFLEET_SETTINGS: file, AVFLEET_PRODUCER_PROCESSES: '4' }, flags: { processes: '64' } })).toBe(64);
  });

  it.each([['0'], ['65'], ['-2'], ['1.5'], ['two'], ['1e1']])('refuses %s, naming the variable and the range', (value) => {
    expect(errorOf(() => processes({ env: { AVFLEET_PRODUCER_PROCESSES: value } })).message).toBe(
      `AVFLEET_PRODUCER_PROCESSES must be a whole number from 1 to 64, got '${value}'`,
    );
  });

  it('names the flag when the bad value came from --processes', () => {
    expect(errorOf(() => processes({ flags: { processes: '100' } })).message).toBe("--processes must be a whole number from 1 to 64, got '100'");
  });
});

describe('AVFLEET_MAX_INFLIGHT_BYTES', () => {
  it('defaults to an eighth of memory, at most 1 GiB, at least two of the largest messages', () => {
    const GiB = 1024 ** 3;
    expect(defaultInflightBytes(50 * 1024 ** 2, 64 * GiB)).toBe(GiB);
    expect(defaultInflightBytes(50 * 1024 ** 2, 2 * GiB)).toBe(GiB / 4);
    expect(defaultInflightBytes(50 * 1024 ** 2, 512 * 1024 ** 2)).toBe(100 * 1024 ** 2);
    expect(resolve({ env: { AVFLEET_MAX_MESSAGE_BYTES: '600M' } }).maxInflightBytes).toBeGreaterThanOrEqual(1200 * 1024 ** 2);
  });

  it('takes a byte size', () => {
    expect(resolve({ env: { AVFLEET_MAX_INFLIGHT_BYTES: '256M' } }).maxInflightBytes).toBe(256 * 1024 ** 2);
  });

  it('refuses less than one message of the largest size, naming both settings', () => {
    const err = errorOf(() => resolve({ env: { AVFLEET_MAX_INFLIGHT_BYTES: '10M', AVFLEET_MAX_MESSAGE_BYTES: '20M' } }));
    expect(err.message).toMatch(/AVFLEET_MAX_INFLIGHT_BYTES must be at least AVFLEET_MAX_MESSAGE_BYTES/);
  });
});
