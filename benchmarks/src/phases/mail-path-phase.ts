import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Corpus } from '../corpus/generate-corpus';
import { childPids, type ProcessGroup } from '../measure/proc-stats';
import type { RedisMeter } from '../measure/redis-meter';
import { startFleet } from './fleet-processes';
import { measurePass, round, type PassResult } from './measure-pass';
import { countReplies, driveSmtp } from './smtp-driver';
import { startClamavMilter } from '../../../test/helpers/clamav-milter-instance';
import { freePort } from '../../../test/helpers/fleet-processes';
import { startPrivatePostfix } from '../../../test/helpers/start-postfix';

export interface MailPathOptions {
  corpus: Corpus;
  workDir: string;
  scanner: { host: string; port: number };
  redis: RedisMeter;
  redisUrl: string;
  redisPid: number | null;
  /** Queue prefix of the fleet (starts with `avfb`); its verdict cache is `<prefix>-cache_`. */
  prefix: string;
  workerConcurrency: number;
  /** SMTP sessions at once, the same for both paths. */
  smtpConcurrency: number;
  /** clamd `RELOAD` (an empty clamd cache) before each cold pass. */
  reloadScanner: () => Promise<void>;
  /** clamd and the bench client, measured in every pass. */
  extraGroups: ProcessGroup[];
  log: (line: string) => void;
}

/** Which milter a pass goes through. */
type MailPath = 'avfleet' | 'clamav-milter';

/** The master of the private Postfix (test/helpers/start-postfix.ts keeps its queue under `<dir>/queue`). */
function postfixMasterPid(dir: string): number {
  const pid = Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`AVF_ERR_BENCH_POSTFIX: no master pid in ${dir}/queue/pid/master.pid`);
  return pid;
}

/**
 * The mail path (issue 15, Deliver 6): the corpus over SMTP (nodemailer, `smtpConcurrency`
 * sessions) into one private Postfix with two SMTP listeners, one whose `smtpd_milters` is
 * avfleet's milter (a producer with `--milter-listen` and one worker) and one whose
 * `smtpd_milters` is Debian's clamav-milter (`OnInfected Reject`); both scan with the same
 * clamd. Each path gets a cold pass (clamd `RELOAD`; for avfleet an empty verdict cache) and
 * a warm pass (the same messages again through the same processes). The fleet is stopped
 * before the clamav-milter passes, so neither path's idle processes run beside the other's.
 */
export async function runMailPathPhase(o: MailPathOptions): Promise<PassResult[]> {
  const avfleetMilterPort = await freePort();
  const clamavMilterPort = await freePort();
  const avfleetSmtp = await freePort();
  const clamavSmtp = await freePort();
  const postfix = await startPrivatePostfix({
    name: 'bench-mail',
    listeners: [
      { port: avfleetSmtp, milter: `inet:127.0.0.1:${avfleetMilterPort}` },
      { port: clamavSmtp, milter: `inet:127.0.0.1:${clamavMilterPort}` },
    ],
    defaultAction: 'tempfail',
    contentTimeoutSec: 300,
  });
  const results: PassResult[] = [];
  try {
    const master = postfixMasterPid(postfix.dir);
    // Postfix is common to both paths; its smtpd, cleanup and discard processes come and go (reaped: their CPU counts).
    const postfixGroup: ProcessGroup = { name: 'postfix', pids: () => [master, ...childPids(master)], reaped: true };
    const redisGroup: ProcessGroup[] = o.redisPid !== null ? [{ name: 'redis', pids: () => [o.redisPid as number] }] : [];

    const fleet = await startFleet({
      workDir: join(o.workDir, 'fleet'),
      scanner: o.scanner,
      redisUrl: o.redisUrl,
      queuePrefix: o.prefix,
      cachePrefix: `${o.prefix}-cache_`,
      store: { kind: 'folder', dir: join(o.workDir, 'fleet', 'store') },
      workers: 1,
      workerConcurrency: o.workerConcurrency,
      producerArgs: ['--milter-listen', `127.0.0.1:${avfleetMilterPort}`],
    });
    try {
      const groups: ProcessGroup[] = [
        { name: 'producer', pids: () => [fleet.producerPid], resetPeak: true },
        { name: 'worker', pids: () => fleet.workerPids, resetPeak: true },
        ...redisGroup,
        postfixGroup,
        ...o.extraGroups,
      ];
      for (const temp of ['cold', 'warm'] as const) {
        if (temp === 'cold') await o.reloadScanner();
        results.push(await mailPass(o, 'avfleet', temp, avfleetSmtp, groups, postfix.logTail));
      }
    } finally {
      await fleet.stop();
    }

    const milter = await startClamavMilter({ dir: join(o.workDir, 'clamav-milter'), port: clamavMilterPort, clamdSocket: `tcp:${o.scanner.host}:${o.scanner.port}` });
    try {
      const groups: ProcessGroup[] = [{ name: 'clamav-milter', pids: () => [milter.pid], resetPeak: true }, ...redisGroup, postfixGroup, ...o.extraGroups];
      for (const temp of ['cold', 'warm'] as const) {
        if (temp === 'cold') await o.reloadScanner();
        results.push(await mailPass(o, 'clamav-milter', temp, clamavSmtp, groups, postfix.logTail));
      }
    } finally {
      await milter.stop();
    }
  } finally {
    await postfix.stop();
  }
  return results;
}

async function mailPass(o: MailPathOptions, path: MailPath, temp: 'cold' | 'warm', smtpPort: number, groups: ProcessGroup[], postfixLog: (lines?: number) => string): Promise<PassResult> {
  let replies: Record<string, number> = {};
  let wrong: string[] = [];
  const result = await measurePass({
    label: `mail ${temp}: Postfix -> ${path === 'avfleet' ? 'avfleet milter' : 'clamav-milter'} (smtp x${o.smtpConcurrency})`,
    corpus: o.corpus,
    groups,
    redis: o.redis,
    storeDir: null,
    drive: async () => {
      const outcomes = await driveSmtp(smtpPort, o.corpus.messages, o.smtpConcurrency);
      replies = countReplies(outcomes);
      wrong = outcomes.filter((x) => !x.correct).map((x) => `${o.corpus.messages[x.index]!.file} (${o.corpus.messages[x.index]!.eicar ? 'EICAR' : 'clean'}): ${x.reply}`);
      // Deferred or unanswered mail is an error; a 2xx/5xx the other way round a wrong verdict.
      return outcomes.map((x) => ({ latencyMs: x.latencyMs, ok: x.replyClass === '2xx' || x.replyClass === '5xx', correct: x.correct }));
    },
  });
  if (wrong.length > 0) o.log(`${result.label}: ${wrong.length} unexpected replies, e.g.\n  ${wrong.slice(0, 5).join('\n  ')}\nPostfix log:\n${postfixLog(20)}`);
  const n = Math.max(1, result.messages);
  const milterSide = path === 'avfleet' ? ['producer', 'worker', 'redis'] : ['clamav-milter'];
  const milterCpu = milterSide.reduce((s, k) => s + (result.cpuSec[k] ?? 0), 0);
  result.extra = {
    replies,
    milterSideCpuMsPerMessage: round((milterCpu * 1000) / n, 1),
    postfixCpuMsPerMessage: round(((result.cpuSec.postfix ?? 0) * 1000) / n, 1),
    clamdCpuMsPerMessage: round(((result.cpuSec.clamd ?? 0) * 1000) / n, 1),
    note:
      `2xx/4xx/5xx/none ${replies['2xx']}/${replies['4xx']}/${replies['5xx']}/${replies.none}; ` +
      `${milterSide.join('+')} ${round((milterCpu * 1000) / n, 1)} ms CPU/msg, postfix ${round(((result.cpuSec.postfix ?? 0) * 1000) / n, 1)} ms`,
  };
  return result;
}
