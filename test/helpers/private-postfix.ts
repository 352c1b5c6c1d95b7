import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, outputTail, requireExecutable } from './daemon-process';
import { tcpPortAnswers } from './service-probes';
import { waitUntil } from './wait-until';

export interface PrivatePostfixOptions {
  /**
   * Private folder (main.cf, master.cf, queue, data, maillog); created. Its
   * parents must be searchable by the postfix user (a mkdtemp folder is 0700:
   * chmod it 0755 first).
   */
  readonly dir: string;
  /** The SMTP port smtpd listens on, on 127.0.0.1. */
  readonly smtpPort: number;
  /** `smtpd_milters`, e.g. `inet:127.0.0.1:PORT`. */
  readonly milter: string;
  /** `milter_default_action` (what Postfix does when the milter itself cannot be reached); default `tempfail`. */
  readonly milterDefaultAction?: 'tempfail' | 'accept' | 'reject';
  /** Bound on the wait for the SMTP port (default 20 s). */
  readonly readyTimeoutMs?: number;
}

export interface PrivatePostfix {
  readonly smtpPort: number;
  /** Postfix's own log (maillog_file). */
  readonly logPath: string;
  /** `postfix -c DIR stop`, then waits for its master to go (SIGKILL to that pid as a last resort). */
  stop(): Promise<void>;
}

/**
 * main.cf of a private Postfix that accepts mail for any address from
 * 127.0.0.0/8, asks `milter` about every message and throws accepted mail
 * away (`discard`). It logs to DIR/maillog, not syslog.
 */
export function renderMainCf(opts: PrivatePostfixOptions): string {
  const { dir } = opts;
  return [
    '# A private Postfix for one test run (test/helpers/private-postfix.ts).',
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = avfleet-test.localdomain',
    'mydestination =',
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    'default_transport = discard',
    'local_transport = discard',
    'relay_transport = discard',
    'local_recipient_maps =',
    // Real mail can carry many Received: lines (one corpus message has 93); Postfix's default
    // of 50 would refuse it ("too many hops") before any milter sees it.
    'hopcount_limit = 200',
    `smtpd_milters = ${opts.milter}`,
    'milter_protocol = 6',
    `milter_default_action = ${opts.milterDefaultAction ?? 'tempfail'}`,
    '',
  ].join('\n');
}

/** master.cf: smtpd on 127.0.0.1:smtpPort and the services it needs, none chrooted, postlogd for the log file. */
export function renderMasterCf(smtpPort: number): string {
  return [
    `127.0.0.1:${smtpPort} inet n - n - - smtpd`,
    'pickup    unix  n - n 60 1 pickup',
    'cleanup   unix  n - n - 0 cleanup',
    'qmgr      unix  n - n 300 1 qmgr',
    'rewrite   unix  - - n - - trivial-rewrite',
    'bounce    unix  - - n - 0 bounce',
    'defer     unix  - - n - 0 bounce',
    'trace     unix  - - n - 0 bounce',
    'verify    unix  - - n - 1 verify',
    'flush     unix  n - n 1000? 0 flush',
    'proxymap  unix  - - n - - proxymap',
    'showq     unix  n - n - - showq',
    'error     unix  - - n - - error',
    'retry     unix  - - n - - error',
    'discard   unix  - - n - - discard',
    'anvil     unix  - - n - 1 anvil',
    'scache    unix  - - n - 1 scache',
    'postlog   unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}

function postfixCommand(postfix: string, dir: string, verb: 'start' | 'stop'): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(postfix, ['-c', dir, verb], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

function masterPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Starts `postfix -c DIR start` (runs as root: Postfix then needs no
 * `alternate_config_directories` entry in /etc/postfix/main.cf) and waits for
 * its SMTP port.
 */
export async function startPrivatePostfix(opts: PrivatePostfixOptions): Promise<PrivatePostfix> {
  const postfix = requireExecutable('postfix', 'postfix');
  if (userInfo().uid !== 0) throw new Error('AVF_ERR_TEST_POSTFIX_START: a private Postfix needs root (its master drops to the postfix user itself)');
  const { dir } = opts;
  mkdirSync(join(dir, 'queue'), { recursive: true });
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const postfixUid = Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim());
  chownSync(join(dir, 'data'), postfixUid, -1);
  writeFileSync(join(dir, 'main.cf'), renderMainCf(opts));
  writeFileSync(join(dir, 'master.cf'), renderMasterCf(opts.smtpPort));
  const logPath = join(dir, 'maillog');
  const stop = async (): Promise<void> => {
    const pid = masterPid(dir);
    await postfixCommand(postfix, dir, 'stop');
    if (pid === null) return;
    try {
      await waitUntil(async () => !isProcessAlive(pid), { timeoutMs: 10_000, intervalMs: 100, failureMessage: () => '' });
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const started = await postfixCommand(postfix, dir, 'start');
  if (started.code !== 0) {
    throw new Error(`AVF_ERR_TEST_POSTFIX_START: postfix -c ${dir} start exited ${started.code}: ${started.output}\n${outputTail(logPath)}`);
  }
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  try {
    await waitUntil(() => tcpPortAnswers(opts.smtpPort), {
      timeoutMs,
      failureMessage: () => `AVF_ERR_TEST_POSTFIX_START: Postfix (${dir}) did not listen on 127.0.0.1:${opts.smtpPort} within ${timeoutMs} ms; ${logPath}:\n${outputTail(logPath)}`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { smtpPort: opts.smtpPort, logPath, stop };
}
