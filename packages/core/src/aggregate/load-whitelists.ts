import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWhitelistFile, whitelistHasIp, whitelistHasName, type Rule, type WhitelistMap } from '@avfleet/config';
import type { Whitelist } from './aggregate-types';

/** The sender-IP half of a rule's whitelist (docs/semantics.md §2, D31). */
export interface IpWhitelist {
  containsIp(ip: string): boolean;
}

export interface RuleWhitelists {
  readonly names: ReadonlyMap<string, Whitelist>;
  readonly ips: ReadonlyMap<string, IpWhitelist>;
}

/** Where reload events go (a pino logger fits). */
export interface WhitelistLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LoadWhitelistsOptions {
  /** Logs reloads and read errors. */
  readonly logger?: WhitelistLogger;
  /** A map file is checked for changes (mtime, size) at most this often, on access. Default 5000 ms; 0 checks on every access. */
  readonly checkIntervalMs?: number;
  /** Clock (tests). */
  readonly now?: () => number;
}

export const DEFAULT_WHITELIST_CHECK_MS = 5000;

/**
 * One rule's map file, re-read when its modification time or size changes
 * (docs/semantics.md §7.3: "reloaded when it changes"). The check is a `stat` done
 * on access, at most every `checkIntervalMs`; no watcher, nothing to close.
 * A failed re-read keeps the last good map and logs the error once.
 */
class ReloadingWhitelist {
  private map: WhitelistMap;
  private stamp: string;
  private checkedAt: number;
  private lastError: string | null = null;

  constructor(
    private readonly rule: string,
    private readonly location: string,
    private readonly opts: Required<Pick<LoadWhitelistsOptions, 'checkIntervalMs' | 'now'>> & { logger?: WhitelistLogger },
  ) {
    this.stamp = stampOf(location);
    this.map = readWhitelistFile(location);
    this.checkedAt = opts.now();
  }

  current(): WhitelistMap {
    const now = this.opts.now();
    if (now - this.checkedAt < this.opts.checkIntervalMs) return this.map;
    this.checkedAt = now;
    try {
      const stamp = stampOf(this.location);
      if (stamp === this.stamp) return this.map;
      const map = readWhitelistFile(this.location);
      this.map = map;
      this.stamp = stamp;
      this.lastError = null;
      this.opts.logger?.info({ rule: this.rule, whitelist: this.location, names: map.names.size, ipRanges: map.ipRanges.length }, 'whitelist reloaded');
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) {
        this.lastError = message;
        this.opts.logger?.warn({ rule: this.rule, whitelist: this.location, err: message }, 'cannot re-read whitelist; keeping the last good version');
      }
    }
    return this.map;
  }
}

function stampOf(location: string): string {
  const st = statSync(location.startsWith('file://') ? fileURLToPath(location) : location);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/**
 * Reads each rule's `whitelist` map at start-up (a map that cannot be read is
 * a start-up error naming the rule and the location) and re-reads it when the
 * file changes. Every rule with a `whitelist` has an entry in both maps.
 */
export function loadWhitelists(rules: readonly Rule[], options: LoadWhitelistsOptions = {}): RuleWhitelists {
  const names = new Map<string, Whitelist>();
  const ips = new Map<string, IpWhitelist>();
  const opts = { checkIntervalMs: options.checkIntervalMs ?? DEFAULT_WHITELIST_CHECK_MS, now: options.now ?? Date.now, logger: options.logger };
  for (const rule of rules) {
    if (!rule.whitelist) continue;
    let list: ReloadingWhitelist;
    try {
      list = new ReloadingWhitelist(rule.name, rule.whitelist, opts);
    } catch (err) {
      throw new Error(`rule '${rule.name}': cannot read whitelist '${rule.whitelist}': ${(err as Error).message}; fix the path or remove the option`, { cause: err });
    }
    names.set(rule.name, { hasName: (text) => whitelistHasName(list.current(), text) });
    ips.set(rule.name, { containsIp: (ip) => whitelistHasIp(list.current(), ip) });
  }
  return { names, ips };
}
