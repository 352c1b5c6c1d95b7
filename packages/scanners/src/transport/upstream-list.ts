import type { SocketAddress } from './socket-connection';
import { SocketConnection, formatAddress } from './socket-connection';
import { resolveSrvEntries, type SrvResolver } from './srv-resolver';

/**
 * A pool of scanner servers with Rspamd's selection strategies and failure
 * marking (docs/semantics.md §10). `ServerList` is a rule's parsed `servers`
 * (packages/config's parse-servers builds it; this is its one definition).
 */
export type ServerStrategy = 'round-robin' | 'master-slave' | 'random' | 'hash';
export type ServerEntry =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly priority: number }
  | { readonly kind: 'unix'; readonly path: string; readonly priority: number }
  | { readonly kind: 'srv'; readonly service: string; readonly domain: string; readonly priority: number };
export interface ServerList {
  readonly strategy: ServerStrategy;
  /** True when the string began with a strategy prefix (master-slave gives the first entry priority 1 when none is given). */
  readonly explicitStrategy: boolean;
  readonly entries: readonly ServerEntry[];
}

/** Rspamd's `upstream_error_time`, `upstream_max_errors`, `upstream_revive_time` (docs/semantics.md §10.3; the fleet settings AVFLEET_UPSTREAM_*). */
export interface UpstreamHealthOptions {
  readonly errorTimeSec: number;
  readonly maxErrors: number;
  readonly reviveTimeSec: number;
}
export const UPSTREAM_HEALTH_DEFAULTS = { errorTimeSec: 10, maxErrors: 4, reviveTimeSec: 60 } as const satisfies Required<UpstreamHealthOptions>;
/** Revive time jitter: ±40 %. */
export const REVIVE_JITTER = 0.4;
/** Readiness trusts the outcome of a server's last connection (a scan's or a probe's) for this long, then probes again. */
export const READINESS_FRESH_MS = 5000;
/** Bound of one readiness probe: a plain connect, closed at once. */
export const READINESS_PROBE_TIMEOUT_MS = 1000;

export interface UpstreamListOptions extends Partial<UpstreamHealthOptions> {
  /** Clock in ms (tests inject one). */
  readonly now?: () => number;
  /** Uniform [0,1) source (tests inject one). */
  readonly random?: () => number;
  /** DNS SRV lookup for `service=` entries (tests inject one). */
  readonly resolveSrv?: SrvResolver;
}

/** One server of the pool. Health fields are managed by UpstreamList. */
export class Upstream {
  readonly name: string;
  errors = 0;
  firstErrorAt = 0;
  /** ms since epoch until which the server is out of rotation; 0 when alive. */
  deadUntil = 0;
  /** Set when a dead server comes back: its first failure takes it out again at once (a "probe"). */
  probing = false;
  uses = 0;
  currentWeight: number;
  /**
   * Outcome of the last connection to the server, a scan's or a readiness
   * probe's (null before any). Separate from rotation: the only server of a
   * list is never taken out (Rspamd), yet it is down while it refuses connections.
   */
  reachable: boolean | null = null;
  /** When `reachable` was last set (the list's clock). */
  reachableAt = 0;

  constructor(
    readonly address: SocketAddress,
    readonly priority: number,
  ) {
    this.name = formatAddress(address);
    this.currentWeight = priority;
  }
}

export class UpstreamList {
  readonly strategy: ServerStrategy;
  private readonly upstreams: Upstream[] = [];
  private readonly health: Required<UpstreamHealthOptions>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly srv: ReturnType<typeof resolveSrvEntries> | null;
  /** Number of servers listed (SRV entries count once): decides whether servers may be taken out. */
  private readonly listed: number;
  /** The readiness probes in flight (probeReady). */
  private probes: Promise<void> | null = null;

  constructor(input: ServerList, options: UpstreamListOptions = {}) {
    this.strategy = input.strategy;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.health = {
      errorTimeSec: options.errorTimeSec ?? UPSTREAM_HEALTH_DEFAULTS.errorTimeSec,
      maxErrors: options.maxErrors ?? UPSTREAM_HEALTH_DEFAULTS.maxErrors,
      reviveTimeSec: options.reviveTimeSec ?? UPSTREAM_HEALTH_DEFAULTS.reviveTimeSec,
    };
    const noPriorities = input.entries.every((e) => e.priority === 0);
    input.entries.forEach((e, i) => {
      // master-slave without priorities: the first listed server gets priority 1.
      const priority = input.strategy === 'master-slave' && noPriorities && i === 0 ? 1 : e.priority;
      if (e.kind === 'tcp') this.upstreams.push(new Upstream({ kind: 'tcp', host: e.host, port: e.port }, priority));
      else if (e.kind === 'unix') this.upstreams.push(new Upstream({ kind: 'unix', path: e.path }, priority));
    });
    const srvEntries = input.entries.filter((e): e is Extract<ServerEntry, { kind: 'srv' }> => e.kind === 'srv');
    this.srv = srvEntries.length > 0 ? resolveSrvEntries(srvEntries, options.resolveSrv, this.now, (a, p) => this.upstreams.push(new Upstream(a, p))) : null;
    this.listed = input.entries.length;
  }

  /** Every server currently known (SRV entries only after they resolved). */
  get all(): readonly Upstream[] {
    return this.upstreams;
  }

  /** Resolves when the SRV lookups in flight have finished (tests, start-up). */
  async dnsSettled(): Promise<void> {
    this.srv?.refresh();
    await this.srv?.settled();
  }

  /** Servers in rotation now (a dead server whose back-off has elapsed is back, as a probe). */
  alive(): Upstream[] {
    this.srv?.refresh();
    const now = this.now();
    for (const u of this.upstreams) {
      if (u.deadUntil !== 0 && u.deadUntil <= now) {
        u.deadUntil = 0;
        u.errors = 0;
        u.probing = true;
      }
    }
    return this.upstreams.filter((u) => u.deadUntil === 0);
  }

  /** True when a server is in rotation and its last connection, if any, succeeded. Uses what is known; probes nothing. */
  isReady(): boolean {
    return this.alive().some((u) => u.reachable !== false);
  }

  /**
   * Readiness for `/readyz`: first probes (a connect bounded by `timeoutMs`,
   * closed at once) every server in rotation that no connection has told about
   * within READINESS_FRESH_MS, then answers isReady(). Concurrent calls share
   * one round of probes.
   */
  async probeReady(timeoutMs: number = READINESS_PROBE_TIMEOUT_MS): Promise<boolean> {
    if (!this.probes) {
      const now = this.now();
      const stale = this.alive().filter((u) => u.reachable === null || now - u.reachableAt >= READINESS_FRESH_MS);
      this.probes = Promise.all(stale.map((u) => this.probe(u, timeoutMs))).then(
        () => undefined,
        () => undefined,
      );
      void this.probes.finally(() => {
        this.probes = null;
      });
    }
    await this.probes;
    return this.isReady();
  }

  /**
   * Servers down right now, for metrics: out of rotation, or their last
   * connection (a scan's or a readiness probe's) failed and none has succeeded
   * since. Read-only: unlike alive(), it revives nothing.
   */
  downCount(): number {
    const now = this.now();
    return this.upstreams.filter((u) => (u.deadUntil !== 0 && u.deadUntil > now) || u.reachable === false).length;
  }

  /** A connection to `u` could not be opened (refused, no route, no socket file, probe timeout). */
  markUnreachable(u: Upstream): void {
    u.reachable = false;
    u.reachableAt = this.now();
  }

  private async probe(u: Upstream, timeoutMs: number): Promise<void> {
    try {
      const conn = await SocketConnection.connect(u.address, { deadlineMs: Date.now() + timeoutMs });
      conn.close();
      u.reachable = true;
      u.reachableAt = this.now();
    } catch {
      this.markUnreachable(u);
    }
  }

  /**
   * Picks a server with the list's strategy, or null when none is usable.
   * `avoid` (the server that just failed) is skipped when another alive server exists.
   */
  pick(avoid?: Upstream): Upstream | null {
    let candidates = this.alive();
    if (avoid && candidates.length > 1) candidates = candidates.filter((u) => u !== avoid);
    if (candidates.length === 0) return null;
    let chosen: Upstream;
    switch (this.strategy) {
      case 'master-slave':
        chosen = candidates.reduce((best, u) => (u.priority > best.priority ? u : best));
        break;
      case 'random':
      case 'hash':
        chosen = this.pickTwoChoices(candidates);
        break;
      default:
        chosen = this.pickRoundRobin(candidates);
    }
    chosen.uses++;
    return chosen;
  }

  /** A failed connect/read/write/timeout on `u` (docs/semantics.md §10.3). */
  markFailure(u: Upstream): void {
    const now = this.now();
    if (this.listed > 1 && u.probing) {
      this.takeOut(u, now);
      return;
    }
    if (u.errors === 0) {
      u.errors = 1;
      u.firstErrorAt = now;
      return;
    }
    u.errors++;
    const elapsedSec = (now - u.firstErrorAt) / 1000;
    if (elapsedSec < this.health.errorTimeSec) return;
    const rate = u.errors / elapsedSec;
    if (rate > this.health.maxErrors / this.health.errorTimeSec) {
      if (this.listed > 1) this.takeOut(u, now);
      else u.errors = 0;
    } else {
      // The window passed without exceeding the rate: the count restarts.
      u.errors = 1;
      u.firstErrorAt = now;
    }
  }

  /** A completed request on `u`: clears its recent errors; the server is reachable. */
  markSuccess(u: Upstream): void {
    u.errors = 0;
    u.probing = false;
    u.reachable = true;
    u.reachableAt = this.now();
  }

  private takeOut(u: Upstream, now: number): void {
    const revive = this.health.reviveTimeSec * 1000;
    const jitter = (this.random() * 2 - 1) * REVIVE_JITTER * revive;
    u.deadUntil = Math.max(now + 1, Math.round(now + revive + jitter));
    u.errors = 0;
    u.probing = false;
  }

  /** Weighted round robin by priority; all priorities 0 → least used (uses + 2 × errors). */
  private pickRoundRobin(candidates: Upstream[]): Upstream {
    if (candidates.every((u) => u.currentWeight <= 0)) for (const u of candidates) u.currentWeight = u.priority;
    const weighted = candidates.reduce((best, u) => (u.currentWeight > best.currentWeight ? u : best));
    if (weighted.currentWeight > 0) {
      weighted.currentWeight--;
      return weighted;
    }
    return candidates.reduce((best, u) => (load(u) < load(best) ? u : best));
  }

  /** "Power of two choices": two random servers, the less loaded wins. */
  private pickTwoChoices(candidates: Upstream[]): Upstream {
    if (candidates.length === 1) return candidates[0]!;
    const i = Math.floor(this.random() * candidates.length);
    let j = Math.floor(this.random() * (candidates.length - 1));
    if (j >= i) j++;
    const a = candidates[i]!;
    const b = candidates[j]!;
    return load(b) < load(a) ? b : a;
  }
}

function load(u: Upstream): number {
  return u.uses + 2 * u.errors;
}
