import { adminRequest, adminTarget } from './admin-request';
import type { CommandArgs } from './command-args';
import { UsageError } from './usage-error';

/**
 * `avfleet retroscan --rule R [--since T]` starts a retro-scan on the producer (`POST /retroscan`,
 * `--url`, default the producer's --listen, with the admin token AVFLEET_ADMIN_TOKEN) and prints
 * its id and the parts queued; `avfleet retroscan detections [--limit N]` prints the recorded
 * retro detections, newest first. Exit 0 done, 1 refused by (or no answer from) the producer.
 */
export async function runRetroscan(args: CommandArgs): Promise<number> {
  const [word, ...extra] = args.positionals;
  if (extra.length > 0 || (word !== undefined && word !== 'detections')) throw new UsageError(`avfleet retroscan: unexpected argument '${extra[0] ?? word}' (only 'detections')`);
  const listing = word === 'detections';
  const rule = args.flags.rule;
  if (!listing && typeof rule !== 'string') throw new UsageError('avfleet retroscan needs --rule R (a rule of antivirus.conf); --since T is optional');
  const target = adminTarget(args, 'retroscan');
  if (typeof target === 'number') return target;
  const url = new URL(listing ? '/retro-detections' : '/retroscan', target.base);
  if (listing && typeof args.flags.limit === 'string') url.searchParams.set('limit', args.flags.limit);
  const since = args.flags.since;
  const answer = listing
    ? await adminRequest(url, { method: 'GET', token: target.token })
    : await adminRequest(url, { method: 'POST', token: target.token, json: { rule, ...(typeof since === 'string' ? { since } : {}) } }, [202]);
  if (!answer.ok) {
    args.io.stderr(`avfleet retroscan: ${answer.reason}\n`);
    return 1;
  }
  args.io.stdout(`${JSON.stringify(await answer.res.json(), null, 2)}\n`);
  return 0;
}
