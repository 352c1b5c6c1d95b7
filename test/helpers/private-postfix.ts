import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { requireExecutable } from './daemon-process';
import { waitUntil } from './wait-until';

/**
 * A private Postfix (docs/testing.md: a throwaway instance beside any system one) that
 * accepts mail on 127.0.0.1:`port`, hands every message to the milter at `milter`, and
 * discards what it accepts. Started with `postfix -c DIR start`, stopped with `stop`.
 */
export interface PrivatePostfix {
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface PrivatePostfixOptions {
  /** Its own folder (main.cf, master.cf, queue, data, log); created. */
  readonly dir: string;
  readonly port: number;
  /** `inet:127.0.0.1:PORT` of the milter. */
  readonly milter: string;
  /** Postfix's milter_default_action when the milter cannot be reached (default tempfail). */
  readonly milterDefaultAction?: 'tempfail' | 'accept' | 'reject';
  /** Postfix's milter_content_timeout (default 60s). */
  readonly milterContentTimeout?: string;
}

const DEFAULT_MAIN_CF = '/etc/postfix/main.cf';

/**
 * The default main.cf must list a directory in alternate_config_directories before `postfix -c`
 * takes it. Other entries (other test instances) are kept; `add = false` removes this one again.
 */
function allowConfigDir(dir: string, add = true): void {
  const path = DEFAULT_MAIN_CF;
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = '';
  }
  const line = /^alternate_config_directories\s*=\s*(.*)$/m.exec(text);
  const dirs = line ? (line[1] as string).split(/[\s,]+/).filter(Boolean) : [];
  if (dirs.includes(dir) === add) return;
  const next = `alternate_config_directories = ${(add ? [...dirs, dir] : dirs.filter((d) => d !== dir)).join(' ')}`;
  writeFileSync(path, line ? text.replace(line[0], next) : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${next}\n`);
}

function postfix(args: readonly string[]): Promise<{ code: number; out: string }> {
  const bin = requireExecutable('postfix', 'postfix');
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const SERVICES = [
  'pickup unix n - n 60 1 pickup', 'cleanup unix n - n - 0 cleanup', 'qmgr unix n - n 300 1 qmgr',
  'rewrite unix - - n - - trivial-rewrite', 'bounce unix - - n - 0 bounce', 'defer unix - - n - 0 bounce',
  'trace unix - - n - 0 bounce', 'verify unix - - n - 1 verify', 'flush unix n - n 1000? 0 flush',
  'proxymap unix - - n - - proxymap', 'proxywrite unix - - n - 1 proxymap', 'smtp unix - - n - - smtp',
  'relay unix - - n - - smtp', 'showq unix n - n - - showq', 'error unix - - n - - error', 'retry unix - - n - - error',
  'discard unix - - n - - discard', 'local unix - n n - - local', 'virtual unix - n n - - virtual',
  'lmtp unix - - n - - lmtp', 'anvil unix - - n - 1 anvil', 'scache unix - - n - 1 scache', 'postlog unix-dgram n - n - 1 postlogd',
];

/** Writes the instance's configuration and starts it; resolves once it accepts SMTP connections. */
export async function startPrivatePostfix(opts: PrivatePostfixOptions): Promise<PrivatePostfix> {
  const { dir, port } = opts;
  for (const sub of ['queue', 'data']) mkdirSync(join(dir, sub), { recursive: true });
  const { uid, gid } = postfixIds();
  chownSync(join(dir, 'data'), uid, gid);
  writeFileSync(join(dir, 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${join(dir, 'queue')}`,
    `data_directory = ${join(dir, 'data')}`,
    `maillog_file = ${join(dir, 'postfix.log')}`,
    `maillog_file_prefixes = ${dir}`,
    'myhostname = avfleet-test.localdomain',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    'default_transport = discard',
    'local_transport = discard',
    'relay_transport = discard',
    'local_recipient_maps =',
    `smtpd_milters = ${opts.milter}`,
    'milter_protocol = 6',
    `milter_default_action = ${opts.milterDefaultAction ?? 'tempfail'}`,
    `milter_content_timeout = ${opts.milterContentTimeout ?? '60s'}`,
    'smtputf8_enable = no',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'master.cf'), [`127.0.0.1:${port} inet n - n - - smtpd`, ...SERVICES, ''].join('\n'));
  allowConfigDir(dir);
  const started = await postfix(['-c', dir, 'start']);
  if (started.code !== 0) {
    allowConfigDir(dir, false);
    throw new Error(`AVF_ERR_TEST_POSTFIX_START: postfix -c ${dir} start failed (${started.code}): ${started.out}; see ${join(dir, 'postfix.log')}`);
  }
  const stop = async (): Promise<void> => {
    await postfix(['-c', dir, 'stop']);
    allowConfigDir(dir, false);
  };
  try {
    await waitUntil(() => smtpGreets(port), {
      timeoutMs: 20_000, intervalMs: 200, failureMessage: () => `AVF_ERR_TEST_POSTFIX_START: no SMTP greeting on 127.0.0.1:${port}; see ${join(dir, 'postfix.log')}`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, dir, stop };
}

function postfixIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postfix:'));
  const f = line?.split(':');
  if (!f) throw new Error('AVF_ERR_TEST_BINARY_MISSING: no postfix user; apt-get install postfix');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** True when 127.0.0.1:`port` greets with `220`. */
function smtpGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', (d: Buffer) => {
      s.destroy();
      resolve(d.toString().startsWith('220'));
    });
    s.once('error', () => resolve(false));
  });
}
