import { describeSettings } from '@avfleet/config';
import type { SettingDescriptor } from '@avfleet/config';
import type { CommandArgs } from './command-args';
import { runConfigCheck } from './config-check-command';
import { runConfigDump } from './config-dump-command';
import type { FlagSpec } from './parse-args';
import { runProducer } from './producer-command';
import { runQuarantine } from './quarantine-command';
import { runRetroscan } from './retroscan-command';
import { runScan } from './scan-command';
import { runStorePrune } from './store-prune-command';
import { runWorker } from './worker-command';

/** One subcommand: its words, help text, flags, the settings it reads and the function that runs it. */
export interface CommandDef {
  /** `['config', 'check']` */
  readonly words: readonly string[];
  /** Arguments after the command words, for the usage line. */
  readonly synopsis: string;
  readonly summary: string;
  /** Longer description for `--help`. */
  readonly details: string;
  /** Command-specific flags (settings flags come from `settings`). */
  readonly ownFlags: readonly FlagSpec[];
  /** Fleet settings this command reads (their flags are accepted, their variables listed in --help). */
  readonly settings: readonly SettingDescriptor[];
  run(args: CommandArgs): Promise<number>;
}

const STORE_KEYS = ['settings', 'store', 's3_endpoint', 's3_access_key', 's3_secret_key', 's3_region', 'redis_url', 'queue_prefix'];

/** What the admin commands (quarantine, retroscan) share: where the producer is, and the settings they read. */
const ADMIN_URL_FLAG: FlagSpec = { name: 'url', valueName: 'URL', description: 'the producer, e.g. http://127.0.0.1:11333' };
const ADMIN_SETTINGS = describeSettings().filter((s) => ['settings', 'listen', 'admin_token'].includes(s.key));

export const COMMANDS: readonly CommandDef[] = [
  {
    words: ['scan'],
    synopsis: '[--url URL] [--json] [--config PATH] FILE|DIR|MBOX…',
    summary: 'scan messages, through a running producer (--url) or in-process',
    details:
      'With --url, submits to a running producer; without, runs producer and worker in-process (local Redis, folder store, the bundled example config pointing at clamd on 127.0.0.1:3310).\nExit status: 0 no AV symbol on any message; 1 some message has a virus, encrypted, macro or positive category symbol; 2 an error, or some rule ended in a fail verdict.',
    ownFlags: [
      { name: 'url', valueName: 'URL', description: 'submit to the producer at URL (e.g. http://127.0.0.1:11333)' },
      { name: 'json', valueName: null, description: 'print one JSON result per message instead of a table' },
    ],
    settings: describeSettings('scan'),
    run: runScan,
  },
  {
    words: ['producer'],
    synopsis: '--config PATH [flags]',
    summary: 'HTTP API: accept messages, enqueue scans, answer results',
    details: 'Serves POST /scans, GET /scans/:id, POST /checkv2 (Rspamd protocol), /healthz, /readyz and /metrics on --listen. Needs --config, Redis and the store.',
    ownFlags: [],
    settings: describeSettings('producer'),
    run: runProducer,
  },
  {
    words: ['worker'],
    synopsis: '--config PATH [--queues LIST] [flags]',
    summary: 'BullMQ workers for the rules in --queues (default: every rule and aggregate)',
    details: 'Runs one BullMQ worker per served queue (rule names and aggregate); serves /metrics, /healthz and /readyz on --metrics-listen.',
    ownFlags: [],
    settings: describeSettings('worker'),
    run: runWorker,
  },
  {
    words: ['config', 'check'],
    synopsis: '[--lenient] PATH',
    summary: 'validate antivirus.conf; one summary line per rule',
    details:
      "Exit 0 and one line per rule (type, servers, symbol, worst-case time = timeout × (1 + retransmits)); warnings on stderr as file:line:col: warning: …\nExit 1 and every error as file:line:col: message.",
    ownFlags: [],
    settings: describeSettings('cli'),
    run: runConfigCheck,
  },
  {
    words: ['config', 'dump'],
    synopsis: '[--raw] [--lenient] PATH',
    summary: 'print the effective rules (defaults filled) as JSON',
    details: "Prints the rules as avfleet uses them, every default filled in. --raw prints the parsed UCL tree instead, as plain JSON (what Rspamd's own parser gives for the file).",
    ownFlags: [{ name: 'raw', valueName: null, description: 'print the parsed UCL tree, nothing cleaned up' }],
    settings: describeSettings('cli'),
    run: runConfigDump,
  },
  {
    words: ['store', 'prune'],
    synopsis: '--older-than DURATION [--store DIR]',
    summary: 'delete stored messages and parts older than DURATION (folder store)',
    details: 'DURATION is a number with s, m, h, d or w (e.g. 7d). The fleet prunes on its own (AVFLEET_STORE_RETENTION); this is the same run by hand, and it keeps what scans in progress still need (it reads Redis). S3 stores use the bucket lifecycle instead.',
    ownFlags: [{ name: 'older-than', valueName: 'DURATION', description: 'age limit, e.g. 7d, 12h' }],
    settings: describeSettings().filter((s) => STORE_KEYS.includes(s.key)),
    run: runStorePrune,
  },
  {
    words: ['quarantine'],
    synopsis: 'list [--since T] [--until T] [--rcpt ADDR] [--symbol NAME] [--limit N] [--cursor C] | show ID | raw ID [--out FILE] | release ID | delete ID',
    summary: 'list, show, fetch, release or delete quarantined messages (the producer\'s admin routes)',
    details:
      'Calls the producer at --url (default its --listen) with the admin token AVFLEET_ADMIN_TOKEN. list prints a page of entries, newest first, and next_cursor for the next page; T is ISO 8601 or ms since the epoch. raw writes the message as it was submitted. release re-delivers it to AVFLEET_RELEASE_SMTP with its original envelope. Exit 1 when the producer refuses (the error code is printed).',
    ownFlags: [
      ADMIN_URL_FLAG,
      { name: 'since', valueName: 'TIME', description: 'list: entries quarantined at or after' },
      { name: 'until', valueName: 'TIME', description: 'list: entries quarantined at or before' },
      { name: 'rcpt', valueName: 'ADDR', description: 'list: entries with this envelope recipient' },
      { name: 'symbol', valueName: 'NAME', description: 'list: entries with this symbol' },
      { name: 'limit', valueName: 'N', description: 'list: entries per page (1 to 500, default 50)' },
      { name: 'cursor', valueName: 'C', description: 'list: next_cursor of the previous page' },
      { name: 'out', valueName: 'FILE', description: 'raw: write the message here (mode 0600) instead of stdout' },
    ],
    settings: ADMIN_SETTINGS,
    run: runQuarantine,
  },
  {
    words: ['retroscan'],
    synopsis: '--rule R [--since T] | detections [--limit N]',
    summary: 'scan a rule\'s remembered clean parts again, or list retro detections (the producer\'s admin routes)',
    details:
      'Needs AVFLEET_RETROSCAN=on in the fleet. Calls the producer at --url (default its --listen) with the admin token AVFLEET_ADMIN_TOKEN. --rule starts a retro-scan of the parts that rule scanned clean since T (ISO 8601 or ms since the epoch; default and earliest: the start of AVFLEET_RETROSCAN_WINDOW) and prints its id and the parts queued; detections prints the recorded retro detections, newest first. Exit 1 when the producer refuses (the error code is printed).',
    ownFlags: [
      ADMIN_URL_FLAG,
      { name: 'rule', valueName: 'R', description: 'the rule whose remembered parts are scanned again' },
      { name: 'since', valueName: 'TIME', description: 'only parts stored at or after this time' },
      { name: 'limit', valueName: 'N', description: 'detections: how many (1 to 1000, default 100)' },
    ],
    settings: ADMIN_SETTINGS,
    run: runRetroscan,
  },
];

/** Own flags plus the flags of the settings the command reads. */
export function commandFlags(cmd: CommandDef): FlagSpec[] {
  const fromSettings = cmd.settings
    .filter((s): s is SettingDescriptor & { flag: string } => s.flag !== null)
    .map((s) => ({ name: s.flag, valueName: s.valueName, description: s.meaning }));
  return [...cmd.ownFlags, ...fromSettings];
}

export function commandName(cmd: CommandDef): string {
  return `avfleet ${cmd.words.join(' ')}`;
}
