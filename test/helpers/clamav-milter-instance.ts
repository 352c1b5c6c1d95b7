import { connect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputTail, requireExecutable, spawnDetached, stopProcessGroup } from './daemon-process';
import { waitUntil } from './wait-until';

/** Debian's clamav-milter in the foreground, talking to the clamd at `clamdSocket` (e.g. `tcp:127.0.0.1:3311`). */
export interface ClamavMilter {
  /** `inet:127.0.0.1:PORT`, for Postfix's smtpd_milters. */
  readonly address: string;
  /** The milter process (it runs in the foreground), for CPU and memory figures. */
  readonly pid: number;
  readonly logPath: string;
  stop(): Promise<void>;
}

export async function startClamavMilter(opts: { dir: string; port: number; clamdSocket: string }): Promise<ClamavMilter> {
  const bin = requireExecutable('clamav-milter', 'clamav-milter');
  mkdirSync(join(opts.dir, 'tmp'), { recursive: true });
  const conf = join(opts.dir, 'clamav-milter.conf');
  const logPath = join(opts.dir, 'clamav-milter.log');
  writeFileSync(conf, [
    `MilterSocket inet:${opts.port}@127.0.0.1`,
    `ClamdSocket ${opts.clamdSocket}`,
    'Foreground yes',
    'User root',
    'OnInfected Reject',
    'OnFail Defer',
    'RejectMsg "Virus found: %v"',
    'AddHeader Replace',
    `LogFile ${logPath}`,
    'LogVerbose yes',
    'LogInfected Full',
    `TemporaryDirectory ${join(opts.dir, 'tmp')}`,
    'ReadTimeout 60',
    '',
  ].join('\n'));
  const out = join(opts.dir, 'clamav-milter.out');
  writeFileSync(out, '');
  const handle = spawnDetached(bin, ['-c', conf], out, opts.dir);
  const stop = (): Promise<void> => stopProcessGroup(handle.pid);
  try {
    await waitUntil(() => accepts(opts.port), {
      timeoutMs: 20_000, intervalMs: 100,
      failureMessage: () => `AVF_ERR_TEST_MILTER_START: clamav-milter did not listen on 127.0.0.1:${opts.port}:\n${outputTail(out)}\n${outputTail(logPath)}`,
      abortWhen: () => {
        const status = handle.exitStatus();
        return status === undefined ? undefined : `AVF_ERR_TEST_MILTER_START: clamav-milter exited (${status}):\n${outputTail(out)}\n${outputTail(logPath)}`;
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `inet:127.0.0.1:${opts.port}`, pid: handle.pid, logPath, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
