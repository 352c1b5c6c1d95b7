import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireExecutable } from './daemon-process';
import { repoRoot, repoTmpPath } from './repo-root';

const run = promisify(execFile);

/** One SMTP listener of the private Postfix and the milter its smtpd asks. */
export interface SmtpListener {
  readonly port: number;
  /** Postfix's smtpd_milters value for this listener, e.g. `inet:127.0.0.1:11332`; none when left out. */
  readonly milter?: string;
}

export interface PrivatePostfix {
  readonly dir: string;
  /** The first listener's SMTP port (most tests have one). */
  readonly smtpPort: number;
  /** Postfix's own log (maillog_file). */
  readonly logPath: string;
  /** The last lines of Postfix's own log (maillog_file), for failure messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Runs `edit` while holding a lock folder, so test files started at once do not lose each other's edit of /etc/postfix/main.cf. */
async function withMainCfLock(edit: () => void): Promise<void> {
  const lock = join(tmpdir(), 'avfleet-postfix-main-cf.lock');
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is taken over after 30 s.
      const age = (() => {
        try {
          return Date.now() - statSync(lock).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if (age > 30_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > end) throw new Error(`AVF_ERR_TEST_POSTFIX: ${lock} is held; remove it if no test runs`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    edit();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * `postfix -c DIR` refuses a directory that the default /etc/postfix/main.cf does not list
 * in alternate_config_directories (docs/testing.md): add DIR there, creating the file on a
 * machine where the package was installed with "No configuration".
 */
function allowConfigDirectory(dir: string): Promise<void> {
  return withMainCfLock(() => {
    const main = '/etc/postfix/main.cf';
    const text = existsSync(main) ? readFileSync(main, 'utf8') : '';
    const line = /^alternate_config_directories\s*=(.*)$/m.exec(text);
    const listed = line ? (line[1] ?? '').split(/[\s,]+/).filter((d) => d !== '') : [];
    if (listed.includes(dir)) return;
    const next = `alternate_config_directories = ${[...listed, dir].join(' ')}`;
    const out = line ? text.replace(line[0], next) : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${next}`;
    const tmp = `${main}.avfleet-${process.pid}`;
    writeFileSync(tmp, out.endsWith('\n') ? out : `${out}\n`);
    renameSync(tmp, main);
  });
}

/** Debian's master.cf.dist with every service out of chroot and one smtpd per listener, each with its own smtpd_milters. */
function masterCf(listeners: readonly SmtpListener[]): string {
  const dist = readFileSync('/usr/share/postfix/master.cf.dist', 'utf8');
  const out: string[] = [];
  for (const line of dist.split('\n')) {
    const f = line.split(/\s+/);
    if (line.startsWith('#') || /^\s/.test(line) || f.length < 8) {
      out.push(line);
      continue;
    }
    if (f[0] === 'smtp' && f[1] === 'inet') continue;
    f[4] = 'n';
    out.push(f.join('  '));
  }
  for (const l of listeners) out.push(`127.0.0.1:${l.port}  inet  n  -  n  -  -  smtpd`, `  -o smtpd_milters=${l.milter ?? ''}`);
  return `${out.join('\n')}\n`;
}

function waitForBanner(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const attempt = (resolve: () => void, reject: (e: Error) => void): void => {
    const s = createConnection(port, '127.0.0.1');
    s.once('data', (d) => {
      s.destroy();
      if (d.toString().startsWith('220')) resolve();
      else reject(new Error(`Postfix on ${port} greeted with ${d.toString().trim()}`));
    });
    s.once('error', () => {
      s.destroy();
      if (Date.now() > end) reject(new Error(`AVF_ERR_TEST_POSTFIX: nothing answers on 127.0.0.1:${port} after ${timeoutMs} ms`));
      else setTimeout(() => attempt(resolve, reject), 100);
    });
  };
  return new Promise(attempt);
}

/**
 * A private Postfix (docs/testing.md "Postfix"): its own main.cf and master.cf (`etc/`), queue
 * and log under `$TMPDIR/avfleet-postfix-<name>-<checkout>`, SMTP on the given loopback ports,
 * `milter_protocol = 6`. Accepted mail is discarded, or with `relayTo` relayed by Postfix's
 * smtp client to that loopback SMTP server (`relayhost = [127.0.0.1]:PORT`, every domain,
 * headers left as they came: no rewriting, no missing headers added). Needs root (Postfix's
 * daemons switch to the `postfix` user) and the Debian package `postfix`.
 */
export async function startPrivatePostfix(opts: {
  readonly name: string;
  readonly listeners: readonly SmtpListener[];
  /** What smtpd does when the milter cannot be reached (default `tempfail`). */
  readonly defaultAction?: 'tempfail' | 'accept' | 'reject';
  /** `milter_content_timeout` (default 300 s). */
  readonly contentTimeoutSec?: number;
  /** Relay accepted mail to this port on 127.0.0.1 instead of discarding it. */
  readonly relayTo?: { readonly port: number };
}): Promise<PrivatePostfix> {
  const first = opts.listeners[0];
  if (!first) throw new Error('AVF_ERR_TEST_POSTFIX: a private Postfix needs at least one SMTP listener');
  const postfix = requireExecutable('postfix', 'postfix');
  if (process.getuid?.() !== 0) {
    throw new Error('AVF_ERR_TEST_POSTFIX: a private Postfix needs root (its daemons switch to the postfix user); run the integration tests as root, as CI does');
  }
  // Under the system's temporary folder, not the checkout: Postfix's daemons run as `postfix` and must
  // reach the queue, which they cannot under a checkout in /root. One folder per checkout and name, so
  // /etc/postfix/main.cf lists a bounded set.
  const checkout = createHash('sha256').update(repoRoot()).digest('hex').slice(0, 10);
  const dir = join(tmpdir(), `avfleet-postfix-${opts.name}-${checkout}`);
  await run(postfix, ['-c', join(dir, 'etc'), 'stop']).catch(() => undefined); // a run killed before its teardown
  rmSync(dir, { recursive: true, force: true });
  // Configuration apart from the queue: postfix-script checks that everything under the configuration directory is root's.
  const etc = join(dir, 'etc');
  for (const sub of ['etc', 'queue', 'data']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  // The queue directory stays root's (postfix-script makes its subdirectories); the data directory is postfix's.
  const { stdout: uid } = await run('id', ['-u', 'postfix']);
  chownSync(join(dir, 'data'), Number(uid.trim()), 0);
  await allowConfigDirectory(etc);
  writeFileSync(
    join(etc, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${dir}/maillog`,
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'myhostname = avfleet-test.localdomain',
      'mydestination =',
      'local_recipient_maps =',
      ...(opts.relayTo
        ? [
            'default_transport = smtp',
            `relayhost = [127.0.0.1]:${opts.relayTo.port}`,
            'smtp_tls_security_level = none',
            // Mail from 127.0.0.1 is "local" to Postfix by default (permit_inet_interfaces): it would add a Date or
            // Message-ID a message lacks and rewrite header addresses. A relay of released mail must leave them.
            'local_header_rewrite_clients =',
            // Retry a refused delivery soon (a test's sink may come up late), and give up on none while the test runs.
            'minimal_backoff_time = 1s',
            'maximal_backoff_time = 2s',
            'queue_run_delay = 1s',
          ]
        : ['default_transport = discard']),
      'local_transport = discard',
      'smtpd_relay_restrictions = permit_mynetworks, reject',
      // Test messages may carry long Received: chains (Postfix refuses more than 50 hops by default).
      'hopcount_limit = 1000',
      'milter_protocol = 6',
      `milter_default_action = ${opts.defaultAction ?? 'tempfail'}`,
      `milter_content_timeout = ${opts.contentTimeoutSec ?? 300}s`,
      // Headers a milter adds are logged (`QUEUEID: milter-header-warning: header X-…: … from …`), so a test can see them.
      `milter_header_checks = regexp:${etc}/milter_header_checks`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(etc, 'master.cf'), masterCf(opts.listeners));
  writeFileSync(join(etc, 'milter_header_checks'), '/^X-/ WARN added by a milter\n');
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(join(dir, 'maillog'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no maillog)';
    }
  };
  try {
    await run(postfix, ['-c', etc, 'start']);
    await Promise.all(opts.listeners.map((l) => waitForBanner(l.port, 15_000)));
  } catch (err) {
    await run(postfix, ['-c', etc, 'stop']).catch(() => undefined);
    throw new Error(`AVF_ERR_TEST_POSTFIX: the private Postfix in ${dir} did not start: ${(err as Error).message}\n${logTail()}`);
  }
  return {
    dir,
    smtpPort: first.port,
    logPath: join(dir, 'maillog'),
    logTail,
    async stop() {
      await run(postfix, ['-c', etc, 'stop']).catch(() => undefined);
    },
  };
}

/**
 * Sends the file `raw` `count` times over ONE SMTP session with Postfix's own smtp-source
 * (`-d`: the next message over the same connection), so Postfix's smtpd passes them all over
 * one milter connection. Returns smtp-source's output (it reports non-2xx replies).
 */
export async function sendManyInOneSession(port: number, raw: Buffer, count: number): Promise<{ ok: boolean; output: string }> {
  const smtpSource = requireExecutable('smtp-source', 'postfix');
  const file = repoTmpPath(`smtp-source-${process.pid}-${Date.now()}.eml`);
  mkdirSync(repoTmpPath(), { recursive: true });
  // smtp-source appends CRLF to each line itself.
  writeFileSync(file, raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  try {
    const { stdout, stderr } = await run(smtpSource, ['-d', '-m', String(count), '-F', file, '-f', 'a@example.org', '-t', 'b@example.net', `127.0.0.1:${port}`]);
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  } finally {
    rmSync(file, { force: true });
  }
}
