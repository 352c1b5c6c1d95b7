import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { resolveFleetSettings } from './resolve-fleet-settings';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'avfleet-settings-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withFile(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return resolveFleetSettings({ flags: {}, env: { AVFLEET_SETTINGS: path }, role: 'cli', homeDir: '/home/t', cwd: '/cwd' });
}

function fileError(name: string, text: string): ConfigError {
  try {
    withFile(name, text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('AVF_ERR_CONFIG_SETTINGS');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('AVFLEET_SETTINGS file', () => {
  it('reads YAML with lists, maps and native scalars', () => {
    const s = withFile(
      'fleet.yaml',
      [
        'config: conf/antivirus.conf',
        'store: ./store',
        'queues: [clamav, aggregate]',
        'concurrency: 2',
        'cache_rspamd_compat: true',
        'actions:',
        '  reject: 20',
        '  add header: 8',
        'log_level: warn',
        'api_token: ~',
        'queue_prefix: 0123',
        'max_waiting: null',
        '',
      ].join('\n'),
    );
    expect(s).toMatchObject({
      configPath: join(dir, 'conf/antivirus.conf'),
      store: { kind: 'folder', dir: join(dir, 'store') },
      queues: ['clamav', 'aggregate'],
      concurrency: 2,
      cacheRspamdCompat: true,
      actions: { reject: 20, 'add header': 8 },
      logLevel: 'warn',
      apiToken: null,
      queuePrefix: '0123',
      maxWaiting: 10000,
      settingsFile: join(dir, 'fleet.yaml'),
    });
  });

  it('reads JSON', () => {
    const s = withFile(
      'fleet.json',
      JSON.stringify({ api_token: '007', concurrency: null, redis_url: 'redis://redis:6379/3', actions: 'reject=10', store: 's3://mail', s3_endpoint: 'http://minio:9000', s3_access_key: 'a', s3_secret_key: 'b', upstream_max_errors: 9 }),
    );
    expect(s).toMatchObject({
      redisUrl: 'redis://redis:6379/3',
      apiToken: '007',
      concurrency: 8,
      actions: { reject: 10 },
      store: { kind: 's3', bucket: 'mail', endpoint: 'minio', port: 9000, accessKey: 'a', secretKey: 'b' },
      upstream: { errorTimeSec: 10, maxErrors: 9, reviveTimeSec: 60 },
    });
  });

  it('an empty file changes nothing', () => {
    expect(withFile('empty.yaml', '# nothing\n').concurrency).toBe(8);
  });

  it('unknown keys are errors, with a suggestion', () => {
    expect(fileError('t.yaml', 'concurency: 3\n').format()).toBe(`${join(dir, 't.yaml')}:1:1: unknown setting 'concurency' (did you mean 'concurrency'?)`);
    expect(fileError('t.yaml', 'AVFLEET_CONCURRENCY: 3\n').message).toMatch(/write it as 'concurrency'/);
    expect(fileError('t.yaml', 'settings: other.yaml\n').message).toMatch(/unknown setting 'settings'/);
    expect(fileError('t.yaml', 'colour: blue\n').message).toMatch(/known settings: config, redis_url/);
  });

  it('syntax errors carry the position', () => {
    const err = fileError('bad.yaml', 'concurrency: 3\nlisten: [oops\n');
    expect(err.position).toMatchObject({ file: join(dir, 'bad.yaml') });
    expect(err.message).toMatch(/settings file is not valid YAML or JSON/);
    const json = fileError('bad.json', '{"concurrency": 3,, }');
    expect(json.position?.line).toBe(1);
  });

  it('the top level must be a map', () => {
    expect(fileError('list.yaml', '- a\n- b\n').message).toMatch(/settings file must be a map/);
  });

  it('a missing file says what to do', () => {
    try {
      resolveFleetSettings({ flags: {}, env: { AVFLEET_SETTINGS: join(dir, 'nope.yaml') }, role: 'cli' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).message).toMatch(/AVFLEET_SETTINGS names .*nope\.yaml, which cannot be read .*fix the path or unset AVFLEET_SETTINGS/);
    }
  });

  it('nested values that cannot become text are errors', () => {
    expect(fileError('n.yaml', 'queues:\n  - [a, b]\n').message).toMatch(/queues: list items must be plain values/);
  });
});
