import { writeFileSync } from 'node:fs';
import { adminRequest, adminTarget } from './admin-request';
import type { CommandArgs } from './command-args';
import { UsageError } from './usage-error';

/** The subcommands of `avfleet quarantine` and whether they take an entry id. */
const ACTIONS = { list: false, show: true, raw: true, release: true, delete: true } as const;
type Action = keyof typeof ACTIONS;

/** List filters passed on as they are (the producer checks them: docs/interfaces.md §7). */
const LIST_FLAGS = ['since', 'until', 'rcpt', 'symbol', 'limit', 'cursor'] as const;

/**
 * `avfleet quarantine list|show|raw|release|delete`: the producer's quarantine routes
 * (`--url`, default the producer's --listen) with the admin token AVFLEET_ADMIN_TOKEN.
 * Prints JSON (raw: the message's bytes, to stdout or --out FILE). Exit 0 done, 1 refused by the producer.
 */
export async function runQuarantine(args: CommandArgs): Promise<number> {
  const [word, id, ...extra] = args.positionals;
  if (word === undefined || !(word in ACTIONS)) throw new UsageError(`avfleet quarantine needs one of ${Object.keys(ACTIONS).join(', ')}`);
  const action = word as Action;
  if (ACTIONS[action] && id === undefined) throw new UsageError(`avfleet quarantine ${action} needs an entry ID (a scan id from avfleet quarantine list)`);
  if (extra.length > 0 || (!ACTIONS[action] && id !== undefined)) throw new UsageError(`avfleet quarantine ${action}: unexpected argument '${extra[0] ?? id}'`);
  const target = adminTarget(args, 'quarantine');
  if (typeof target === 'number') return target;
  const path = action === 'list' ? '/quarantine' : `/quarantine/${encodeURIComponent(id as string)}${action === 'raw' ? '/raw' : action === 'release' ? '/release' : ''}`;
  const url = new URL(path, target.base);
  if (action === 'list') {
    for (const f of LIST_FLAGS) {
      const v = args.flags[f];
      if (typeof v === 'string') url.searchParams.set(f, v);
    }
  }
  const method = action === 'release' ? 'POST' : action === 'delete' ? 'DELETE' : 'GET';
  const answer = await adminRequest(url, { method, token: target.token });
  if (!answer.ok) {
    args.io.stderr(`avfleet quarantine ${action}: ${answer.reason}\n`);
    return 1;
  }
  const res = answer.res;
  if (action === 'raw') {
    const raw = Buffer.from(await res.arrayBuffer());
    if (typeof args.flags.out === 'string') writeFileSync(args.flags.out, raw, { mode: 0o600 });
    else process.stdout.write(raw);
    return 0;
  }
  args.io.stdout(`${JSON.stringify(await res.json(), null, 2)}\n`);
  return 0;
}
