import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { describeSettings, loadAntivirusConfig, resolveFleetSettings, type FleetRole } from '@avfleet/config';
import { repoRoot } from '../helpers/repo-root';

/**
 * Docker does not run here, so docker-compose.yml (the production shape) is
 * checked structurally: the services, Redis' eviction policy, the settings the
 * avfleet services get (docs/interfaces.md §2 names, and values avfleet accepts),
 * that workers can be scaled, that Prometheus scrapes what the services
 * serve, and that every file the compose file and its Dockerfiles refer to exists.
 */

const root = repoRoot();
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  container_name?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const S = compose.services;

/** Compose's `${VAR:-default}` with nothing set in the environment, and `$$` → `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, _name: string, def: string | undefined) => def ?? '').replace(/\$\$/g, '$');
}
function envOf(service: Service): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}
function argv(cmd: string[] | string | undefined): string[] {
  return cmd === undefined ? [] : Array.isArray(cmd) ? cmd : cmd.split(/\s+/);
}
/** `--metrics-listen 0.0.0.0:9464` → `{ 'metrics-listen': '0.0.0.0:9464' }`. */
function flagsOf(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) if (args[i]!.startsWith('--') && args[i + 1] !== undefined) flags[args[i]!.slice(2)] = args[++i]!;
  return flags;
}
function dockerfileCopySources(rel: string): string[] {
  return read(rel)
    .split('\n')
    .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
}

const AVFLEET_SERVICES = ['producer', 'worker'] as const;

/**
 * Where the programs the images' health checks run come from: a Debian
 * package the Dockerfile must install (`apt-get install --no-install-recommends`
 * leaves out Recommends such as clamav-daemon's clamdscan), or the base image.
 * A new health check program needs a row here.
 */
const HEALTHCHECK_PROGRAMS: Record<string, { kind: 'package' | 'base-image'; name: string }> = {
  clamdscan: { kind: 'package', name: 'clamdscan' },
  node: { kind: 'base-image', name: 'node:' },
};

/** The program a HEALTHCHECK CMD runs: exec form `["prog", …]` or shell form `prog …`. */
function healthcheckProgram(cmd: string): string {
  const trimmed = cmd.trim();
  if (trimmed.startsWith('[')) return (JSON.parse(trimmed) as string[])[0]!;
  return trimmed.split(/\s+/)[0]!;
}

describe('docker-compose.yml', () => {
  it('runs the production shape: Redis, MinIO (+ bucket), clamd, producer, worker, Prometheus, Grafana', () => {
    expect(Object.keys(S).sort()).toEqual(['clamd', 'grafana', 'minio', 'minio-init', 'producer', 'prometheus', 'redis', 'worker'].sort());
    for (const [name, svc] of Object.entries(S)) expect({ name, hasImageOrBuild: Boolean(svc.image ?? svc.build) }).toEqual({ name, hasImageOrBuild: true });
  });

  it('starts Redis with maxmemory-policy noeviction (BullMQ must never lose a key)', () => {
    const args = argv(S.redis!.command);
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
  });

  it('gives the avfleet services only settings from docs/interfaces.md §2, with values avfleet accepts', () => {
    const known = new Set(describeSettings().map((d) => d.env));
    for (const name of AVFLEET_SERVICES) {
      const env = envOf(S[name]!);
      const role = argv(S[name]!.command)[0] as FleetRole;
      expect(role).toBe(name);
      for (const key of Object.keys(env)) expect({ service: name, key, known: known.has(key) }).toEqual({ service: name, key, known: true });
      for (const key of ['AVFLEET_CONFIG', 'AVFLEET_REDIS_URL', 'AVFLEET_STORE', 'AVFLEET_S3_ENDPOINT', 'AVFLEET_S3_ACCESS_KEY', 'AVFLEET_S3_SECRET_KEY']) {
        expect({ service: name, key, set: Boolean(env[key]) }).toEqual({ service: name, key, set: true });
      }
      const settings = resolveFleetSettings({ flags: flagsOf(argv(S[name]!.command).slice(1)), env, role, cwd: root });
      expect(settings.store.kind).toBe('s3');
      expect(new URL(settings.redisUrl).hostname).toBe('redis');
    }
  });

  it('creates the bucket the store uses, on the MinIO service, with the credentials the avfleet services use', () => {
    const env = envOf(S.producer!);
    const bucket = env.AVFLEET_STORE!.replace(/^s3:\/\//, '').split('/')[0]!;
    const init = [...argv(S['minio-init']!.entrypoint), ...argv(S['minio-init']!.command)].join(' ');
    expect(init).toContain(`mc mb --ignore-existing local/${bucket}`);
    expect(init).toContain('http://minio:9000');
    expect(new URL(env.AVFLEET_S3_ENDPOINT!).hostname).toBe('minio');
    const minio = envOf(S.minio!);
    expect(env.AVFLEET_S3_ACCESS_KEY).toBe(minio.MINIO_ROOT_USER);
    expect(env.AVFLEET_S3_SECRET_KEY).toBe(minio.MINIO_ROOT_PASSWORD);
    expect(S.producer!.depends_on).toHaveProperty('minio-init.condition', 'service_completed_successfully');
  });

  it('lets workers scale (--scale worker=N): no fixed name, no host port, metrics on every interface', () => {
    const w = S.worker!;
    expect(w.container_name).toBeUndefined();
    expect(w.ports ?? []).toEqual([]);
    expect(flagsOf(argv(w.command).slice(1))['metrics-listen']).toBe('0.0.0.0:9464');
  });

  it('points the baked antivirus.conf at the clamd service', () => {
    const dockerfile = read('Dockerfile');
    const m = /^COPY\s+(\S+)\s+\/etc\/avfleet\/antivirus\.conf$/m.exec(dockerfile);
    expect(m).not.toBeNull();
    expect(envOf(S.producer!).AVFLEET_CONFIG).toBe('/etc/avfleet/antivirus.conf');
    const config = loadAntivirusConfig(join(root, m![1]!));
    const servers = config.rules.flatMap((r) => r.servers?.entries ?? []);
    expect(servers.length).toBeGreaterThan(0);
    for (const s of servers) expect(s).toMatchObject({ kind: 'tcp', host: 'clamd', port: 3310 });
  });

  it('refers only to files that exist (build contexts, Dockerfiles and what they COPY, bind mounts)', () => {
    const missing: string[] = [];
    for (const [name, svc] of Object.entries(S)) {
      if (svc.build) {
        const dockerfile = posix.join(svc.build.context, svc.build.dockerfile ?? 'Dockerfile');
        if (!existsSync(join(root, dockerfile))) missing.push(`${name}: ${dockerfile}`);
        else for (const src of dockerfileCopySources(dockerfile)) if (!existsSync(join(root, svc.build.context, src))) missing.push(`${name}: COPY ${src}`);
      }
      for (const v of svc.volumes ?? []) {
        const [source] = v.split(':');
        if (source!.startsWith('./') || source!.startsWith('/')) {
          if (!existsSync(join(root, source!))) missing.push(`${name}: volume ${source}`);
        } else if (!(source! in (compose.volumes ?? {}))) {
          missing.push(`${name}: named volume ${source} is not declared`);
        }
      }
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const d of deps) if (!(d in S)) missing.push(`${name}: depends_on ${d}`);
    }
    expect(missing).toEqual([]);
  });

  it('does not hide from the build context anything the Dockerfiles COPY', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const dockerfile of ['Dockerfile', 'deploy/docker/clamd.Dockerfile']) {
      for (const src of dockerfileCopySources(dockerfile)) {
        const top = src.replace(/\/$/, '');
        expect({ src, ignored: ignored.some((p) => top === p || top.startsWith(`${p}/`)) }).toEqual({ src, ignored: false });
      }
    }
  });

  it('builds avfleet on node:20-bookworm-slim with npm ci and the workspace build', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/npm run build/);
    // The launcher is executed, not passed to `node`: its first line carries avfleet's Node flags (D64).
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/apps\/cli\/bin\/avfleet\.js"\]$/m);
    expect(statSync(join(repoRoot(), 'apps', 'cli', 'bin', 'avfleet.js')).mode & 0o111).toBe(0o111);
  });

  it('installs every program a Dockerfile HEALTHCHECK runs (recommended packages are not installed)', () => {
    let checked = 0;
    for (const dockerfile of ['Dockerfile', 'deploy/docker/clamd.Dockerfile']) {
      const text = read(dockerfile).replace(/\\\n/g, ' ');
      const installed = new Set(
        [...text.matchAll(/apt-get install ([^&\n]*)/g)].flatMap((m) => m[1]!.trim().split(/\s+/).filter((w) => !w.startsWith('-'))),
      );
      const base = /^FROM (\S+)/m.exec([...text.matchAll(/^FROM .*$/gm)].at(-1)![0])![1]!;
      for (const m of text.matchAll(/^HEALTHCHECK\b.*?\bCMD\s+(.*)$/gm)) {
        const program = healthcheckProgram(m[1]!);
        const from = HEALTHCHECK_PROGRAMS[program];
        expect({ dockerfile, program, known: from !== undefined }).toEqual({ dockerfile, program, known: true });
        const ok = from!.kind === 'package' ? installed.has(from!.name) : base.startsWith(from!.name);
        expect({ dockerfile, program, providedBy: from, installed: ok }).toEqual({ dockerfile, program, providedBy: from, installed: true });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0); // clamd.Dockerfile has one
  });

  it('builds clamd from Debian with the project clamd config and database', () => {
    const srcs = dockerfileCopySources('deploy/docker/clamd.Dockerfile');
    expect(read('deploy/docker/clamd.Dockerfile')).toMatch(/^FROM debian:bookworm/m);
    expect(srcs).toEqual(expect.arrayContaining(['deploy/clamd/clamd.conf', 'deploy/clamd/db/']));
    expect(statSync(join(root, 'deploy/clamd/db')).isDirectory()).toBe(true);
  });
});

describe('Prometheus and Grafana wiring', () => {
  const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };

  it('prometheus.yml passes promtool check config', () => {
    const r = spawnSync(process.env.PROMTOOL ?? 'promtool', ['check', 'config', join(root, 'deploy/prometheus/prometheus.yml')], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run promtool (${r.error.message}): install Debian's prometheus package or set PROMTOOL`);
    expect({ status: r.status, out: r.stdout + r.stderr }).toMatchObject({ status: 0 });
  });

  it('scrapes the producer on its API port and every worker replica on its metrics port', () => {
    const listenPort = Number(envOf(S.producer!).AVFLEET_LISTEN!.split(':').pop());
    const producerJob = prom.scrape_configs.find((j) => j.static_configs?.some((s) => s.targets.includes(`producer:${listenPort}`)));
    expect(producerJob).toBeDefined();
    const workerPort = Number(flagsOf(argv(S.worker!.command).slice(1))['metrics-listen']!.split(':').pop());
    const workerJob = prom.scrape_configs.find((j) => j.dns_sd_configs?.some((d) => d.names.includes('worker') && d.port === workerPort));
    expect(workerJob).toBeDefined();
    expect(S.prometheus!.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('provisions the Prometheus datasource the dashboard uses and loads the dashboard folder Grafana mounts', () => {
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string; url: string }[] };
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/avfleet.json')) as { panels: { datasource?: { uid: string } }[] };
    const uids = new Set(dashboard.panels.map((p) => p.datasource?.uid).filter(Boolean));
    expect([...uids]).toEqual([ds.datasources[0]!.uid]);
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const providers = parse(read('deploy/grafana/provisioning/dashboards/avfleet.yml')) as { providers: { options: { path: string } }[] };
    const mounts = (S.grafana!.volumes ?? []).map((v) => v.split(':'));
    expect(mounts).toContainEqual(['./deploy/grafana/dashboards', providers.providers[0]!.options.path, 'ro']);
    expect(mounts.map((m) => m[1])).toEqual(expect.arrayContaining(['/etc/grafana/provisioning/datasources', '/etc/grafana/provisioning/dashboards']));
  });
});
