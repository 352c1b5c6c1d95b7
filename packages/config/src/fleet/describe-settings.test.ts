import { FLEET_DEFAULTS } from './fleet-defaults';
import { describeSettings, formatActionThresholds, settingsToMarkdown } from './describe-settings';

describe('describeSettings', () => {
  it('lists every environment name of docs/interfaces.md §2 and the upstream/lenient additions', () => {
    const envs = describeSettings().map((r) => r.env);
    expect(envs).toEqual(
      expect.arrayContaining([
        'AVFLEET_CONFIG', 'AVFLEET_SETTINGS', 'AVFLEET_REDIS_URL', 'AVFLEET_REDIS_CLUSTER_NODES', 'AVFLEET_STORE', 'AVFLEET_S3_ENDPOINT', 'AVFLEET_S3_ACCESS_KEY',
        'AVFLEET_S3_SECRET_KEY', 'AVFLEET_S3_REGION', 'AVFLEET_LISTEN', 'AVFLEET_METRICS_LISTEN', 'AVFLEET_QUEUES',
        'AVFLEET_CONCURRENCY', 'AVFLEET_QUEUE_PREFIX', 'AVFLEET_MAX_WAITING', 'AVFLEET_RESULT_TTL', 'AVFLEET_MAX_MESSAGE_BYTES',
        'AVFLEET_API_TOKEN', 'AVFLEET_ACTIONS', 'AVFLEET_CACHE_RSPAMD_COMPAT', 'AVFLEET_ARCHIVE_MAX_DEPTH',
        'AVFLEET_ARCHIVE_MAX_MEMBERS', 'AVFLEET_ARCHIVE_MAX_BYTES', 'AVFLEET_ARCHIVE_MAX_RATIO', 'LOG_LEVEL',
        'AVFLEET_UPSTREAM_ERROR_TIME', 'AVFLEET_UPSTREAM_MAX_ERRORS', 'AVFLEET_UPSTREAM_REVIVE_TIME', 'AVFLEET_STALLED_INTERVAL', 'AVFLEET_LENIENT_CONFIG',
        'AVFLEET_MILTER_LISTEN', 'AVFLEET_MILTER_DEADLINE', 'AVFLEET_MILTER_HEADERS', 'AVFLEET_MILTER_MAX_CONNECTIONS',
      ]),
    );
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('settings-file keys are the environment names without AVFLEET_, in lower case', () => {
    for (const r of describeSettings()) expect(r.key).toBe(r.env.replace(/^AVFLEET_/, '').toLowerCase());
  });

  it('flags are the ones the contract names', () => {
    const flags = Object.fromEntries(describeSettings().filter((r) => r.flag).map((r) => [r.flag, r.env]));
    expect(flags).toEqual({
      config: 'AVFLEET_CONFIG', redis: 'AVFLEET_REDIS_URL', store: 'AVFLEET_STORE', listen: 'AVFLEET_LISTEN',
      'metrics-listen': 'AVFLEET_METRICS_LISTEN', queues: 'AVFLEET_QUEUES', concurrency: 'AVFLEET_CONCURRENCY', lenient: 'AVFLEET_LENIENT_CONFIG',
      processes: 'AVFLEET_PRODUCER_PROCESSES', 'clamd-listen': 'AVFLEET_CLAMD_LISTEN', 'milter-listen': 'AVFLEET_MILTER_LISTEN',
    });
  });

  it('default column comes from FLEET_DEFAULTS', () => {
    const def = (env: string) => describeSettings().find((r) => r.env === env)?.default;
    expect(def('AVFLEET_ACTIONS')).toBe('reject=15,add header=6,greylist=4');
    expect(formatActionThresholds(FLEET_DEFAULTS.actions)).toBe('reject=15,add header=6,greylist=4');
    expect(def('AVFLEET_REDIS_URL')).toBe('redis://127.0.0.1:6379/0');
    expect(def('AVFLEET_LISTEN')).toBe('127.0.0.1:11333');
    expect(def('AVFLEET_METRICS_LISTEN')).toBe('producer: its --listen; worker: 127.0.0.1:9464');
    expect(def('AVFLEET_CONCURRENCY')).toBe('8');
    expect(def('AVFLEET_UPSTREAM_REVIVE_TIME')).toBe('60 s');
  });

  it('filters by command', () => {
    const worker = describeSettings('worker').map((r) => r.flag);
    expect(worker).toContain('queues');
    expect(worker).not.toContain('listen');
    expect(describeSettings('producer').map((r) => r.env)).toContain('AVFLEET_API_TOKEN');
    expect(describeSettings('producer').map((r) => r.flag)).toContain('processes');
    expect(describeSettings('worker').map((r) => r.env)).not.toContain('AVFLEET_PRODUCER_PROCESSES');
    expect(describeSettings('scan').map((r) => r.env)).not.toContain('AVFLEET_PRODUCER_PROCESSES');
    expect(describeSettings('cli').map((r) => r.flag)).toEqual(['lenient']);
  });

  it('renders a Markdown table with escaped pipes', () => {
    const md = settingsToMarkdown().split('\n');
    expect(md[0]).toBe('| flag | environment | default | meaning |');
    expect(md).toContain('| `--store URL\\|DIR` | `AVFLEET_STORE` | ~/.local/state/avfleet/store (a folder) | object store for messages and parts: a folder, or s3://BUCKET[/PREFIX] |');
    expect(md.length).toBe(describeSettings().length + 2);
  });
});
