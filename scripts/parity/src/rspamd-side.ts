import { execFile } from 'node:child_process';
import { requireExecutable } from '../../../test/helpers/daemon-process';
import { makeOutcome, type SideResult } from './outcome';
import { isAvSymbol } from './reference-rule';

/** rspamc's reply (the /checkv2 JSON), as far as the comparison reads it. */
interface RspamcReply {
  readonly action?: string;
  readonly symbols?: Record<string, { readonly options?: readonly string[] }>;
  readonly error?: string;
}

/** Runs `rspamc --json -h <host:port> symbols <file>` and keeps the AV symbols and the action. */
export function scanWithRspamc(hostPort: string, file: string, timeoutSec: number): Promise<SideResult> {
  const rspamc = requireExecutable('rspamc', 'rspamd-client rspamd');
  const args = ['--json', '-h', hostPort, '-t', String(timeoutSec), 'symbols', file];
  return new Promise((resolve) => {
    execFile(rspamc, args, { maxBuffer: 64 * 1024 * 1024, timeout: (timeoutSec + 30) * 1000 }, (err, stdout, stderr) => {
      if (err && !stdout) {
        resolve({ error: `rspamc failed: ${err.message.trim()} ${stderr.trim()}`.trim() });
        return;
      }
      resolve(parseRspamcJson(stdout));
    });
  });
}

/** rspamc --json prints one JSON object (possibly after a `Results for file: …` line in old versions). */
export function parseRspamcJson(stdout: string): SideResult {
  const start = stdout.indexOf('{');
  if (start < 0) return { error: `rspamc printed no JSON: ${stdout.slice(0, 200)}` };
  let reply: RspamcReply;
  try {
    reply = JSON.parse(stdout.slice(start)) as RspamcReply;
  } catch (err) {
    return { error: `rspamc printed invalid JSON (${(err as Error).message})` };
  }
  if (reply.error) return { error: `rspamd: ${reply.error}` };
  if (typeof reply.action !== 'string') return { error: 'rspamd reply without an action' };
  const symbols: Record<string, readonly string[]> = {};
  for (const [name, s] of Object.entries(reply.symbols ?? {})) symbols[name] = s.options ?? [];
  return makeOutcome(symbols, reply.action, isAvSymbol);
}
