import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireExecutable, spawnDetached, type DaemonHandle } from './daemon-process';

/**
 * The `options`, `logging` and `modules` sections every private Rspamd of the
 * tests and scripts shares: pid, caches, temp files and log under `dir`, a
 * resolver that answers nothing, plugins only from `dir`/plugins.
 * `extraOptions` goes inside `options { }`.
 */
export function renderRspamdPrivateSections(dir: string, extraOptions = ''): string {
  return `options {
  pidfile = "${dir}/rspamd.pid";
  filters = "";
  explicit_modules = [];
  cache_file = "${dir}/db/symbols.cache";
  hs_cache_dir = "${dir}/db/";
  tempdir = "${dir}/tmp";
  dns { nameserver = ["127.0.0.1:53"]; timeout = 1s; retransmits = 1; }
${extraOptions ? `  ${extraOptions}\n` : ''}}
logging { type = "file"; filename = "${dir}/rspamd.log"; level = "info"; }
modules { path = "${dir}/plugins"; }
`;
}

export interface SpawnedRspamd {
  readonly handle: DaemonHandle;
  /** Rspamd's own log (`logging` above). */
  readonly logPath: string;
  /** Its stdout and stderr. */
  readonly outputPath: string;
}

/**
 * Writes `conf` to `dir`/rspamd.conf (creating db, tmp and plugins) and
 * starts `rspamd -f` with it in its own process group (as root: `-u root -g root`).
 */
export function spawnRspamd(dir: string, conf: string): SpawnedRspamd {
  const rspamd = requireExecutable('rspamd', 'rspamd');
  for (const sub of ['db', 'tmp', 'plugins']) mkdirSync(join(dir, sub), { recursive: true });
  const confPath = join(dir, 'rspamd.conf');
  writeFileSync(confPath, conf);
  const outputPath = join(dir, 'rspamd.out');
  writeFileSync(outputPath, '');
  const vars = ['DBDIR', 'RUNDIR', 'LOGDIR'].flatMap((v) => ['--var', `${v}=${dir}`]);
  const args = ['-c', confPath, '-f', '-i', ...vars];
  if (process.getuid?.() === 0) args.push('-u', 'root', '-g', 'root');
  return { handle: spawnDetached(rspamd, args, outputPath, dir), logPath: join(dir, 'rspamd.log'), outputPath };
}
