import { resolveFleetSettings } from '@avfleet/config';
import type { CommandArgs } from './command-args';
import { reportSettingsFailure } from './report-config-failure';
import { UsageError } from './usage-error';

/** Where an admin command calls: the producer's base URL and the admin token. */
export interface AdminTarget {
  readonly base: string;
  readonly token: string;
}

/**
 * The producer an admin command (`avfleet quarantine`, `avfleet retroscan`) calls: `--url`, or
 * the producer's --listen from the settings, and AVFLEET_ADMIN_TOKEN (a UsageError without it).
 * A settings failure is reported and its exit status returned instead.
 */
export function adminTarget(args: CommandArgs, command: string): AdminTarget | number {
  let settings;
  try {
    settings = resolveFleetSettings({ flags: args.flags, env: args.io.env, role: 'cli', cwd: args.io.cwd });
  } catch (err) {
    return reportSettingsFailure(err, args.io);
  }
  if (!settings.adminToken) throw new UsageError(`avfleet ${command} needs the admin token in AVFLEET_ADMIN_TOKEN (the same as the producer's)`);
  const base = typeof args.flags.url === 'string' ? args.flags.url : `http://${settings.listen.host}:${settings.listen.port}`;
  return { base, token: settings.adminToken };
}

/**
 * One call of a producer admin route (quarantine, retro-scan) with the admin token: the response,
 * or the reason it failed as one line for stderr (cannot reach the producer; or refused, with the
 * status and the error envelope's code and message).
 */
export async function adminRequest(
  url: URL, init: { readonly method: string; readonly token: string; readonly json?: unknown }, expect: readonly number[] = [200],
): Promise<{ readonly ok: true; readonly res: Response } | { readonly ok: false; readonly reason: string }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${init.token}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  } catch (err) {
    // fetch's own error says only "fetch failed"; why is in its cause (ECONNREFUSED, ENOTFOUND, …).
    const e = err as { message?: string; cause?: { message?: string } };
    const cause = e.cause?.message ?? e.message ?? String(err);
    return { ok: false, reason: `cannot reach the producer at ${url.origin} (${cause}); give its address with --url or --listen` };
  }
  if (expect.includes(res.status)) return { ok: true, res };
  const text = await res.text();
  let detail = `HTTP ${res.status}`;
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e) detail += ` ${e.code}: ${e.message}`;
  } catch {
    // not JSON: the status says it
  }
  return { ok: false, reason: detail };
}
