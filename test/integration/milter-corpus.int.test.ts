import { readFileSync } from 'node:fs';
import type { ScanResult } from '@avfleet/core';
import { loadCorpus } from '../helpers/corpus';
import { freePort } from '../helpers/fleet-processes';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';
import { fixturePath } from '../helpers/repo-root';
import { startPrivatePostfix, type PrivatePostfix } from '../helpers/start-postfix';
import { swaksMessage } from '../helpers/swaks';

/**
 * The whole corpus through the mail path: Postfix → avfleet's milter (the reference clamav
 * rule, test/fixtures/configs/reference-clamav.conf), driven by swaks. For every message the
 * SMTP answer must be the milter mapping of the verdict the HTTP API gives for the same bytes
 * (corpus-parity.int.test.ts holds that verdict against Rspamd's): `reject` → 550 5.7.1 with the
 * rule's message, naming the virus for every message where Rspamd's reference found one; anything
 * else → 250; nothing deferred.
 */

jest.setTimeout(600_000);

let fleet: FleetUnderTest | undefined;
let postfix: PrivatePostfix | undefined;
let smtpPort = 0;

beforeAll(async () => {
  const milterPort = await freePort();
  smtpPort = await freePort();
  const conf = readFileSync(fixturePath('configs', 'reference-clamav.conf'), 'utf8').replaceAll('@CLAMD@', '${CLAMD}').replaceAll('@PREFIX@', '${PREFIX}');
  fleet = await startFleetUnderTest({ testFile: 'milter-corpus', conf, env: { AVFLEET_MILTER_LISTEN: `127.0.0.1:${milterPort}` } });
  postfix = await startPrivatePostfix({ name: 'corpus', defaultAction: 'tempfail', contentTimeoutSec: 300, listeners: [{ port: smtpPort, milter: `inet:127.0.0.1:${milterPort}` }] });
});

afterAll(async () => {
  await postfix?.stop();
  await fleet?.close();
});

/** What the MTA answers for a verdict (README "Postfix and Sendmail (milter)"). */
function expectedReply(result: ScanResult): string {
  if (result.action === 'reject') return `550 5.7.1 ${result.message ?? ''}`;
  if (result.action === 'soft reject') return `451 4.7.1 ${result.message ?? ''}`;
  return '250';
}

it('every corpus message: the milter answer through Postfix matches its verdict, every virus rejected naming it, none deferred', async () => {
  const manifest = loadCorpus();
  const mismatches: string[] = [];
  const counts = { rejected: 0, accepted: 0, deferred: 0 };
  const queue = [...manifest];
  // Four SMTP clients at once.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
        const e = m.entry;
        const raw = m.raw();
        // The same bytes over HTTP first, so both answers come from the same (cached) verdicts: a verdict's
        // text can differ between a fresh scan and the cache (encrypted and macro verdicts).
        await fleet!.scan(raw);
        const { verdict: reply } = await swaksMessage(smtpPort, raw, 120_000);
        const http = await fleet!.scan(raw);
        const result = http.body as unknown as ScanResult;
        const want = expectedReply(result);
        const got = want === '250' ? reply.slice(0, 3) : reply;
        if (got !== want) mismatches.push(`${e.file}: Postfix said '${reply}', the verdict (${result.action}) means '${want}'`);
        if (reply.startsWith('5')) counts.rejected++;
        else if (reply.startsWith('2')) counts.accepted++;
        else counts.deferred++;
        // A virus (the rule's symbol, not its encrypted or macro symbols) is named in the reply.
        const viruses = e.rspamd_av.CLAM_VIRUS ?? [];
        if (viruses.length > 0 && !viruses.some((name) => reply.includes(name))) {
          mismatches.push(`${e.file}: the reply '${reply}' names none of the viruses ${JSON.stringify(viruses)}`);
        }
      }
    }),
  );
  expect({ mismatches, deferred: counts.deferred }).toEqual({ mismatches: [], deferred: 0 });
  expect(counts.rejected + counts.accepted).toBe(manifest.length);
  console.log(`corpus through Postfix → milter: ${manifest.length} messages, ${counts.rejected} rejected, ${counts.accepted} accepted, ${counts.deferred} deferred`);
});
