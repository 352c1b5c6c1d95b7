import { promises as dns } from 'node:dns';
import type { SocketAddress } from './socket-connection';

/** One SRV answer (node:dns `SrvRecord` shape). */
export interface SrvRecordInput {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}
export type SrvResolver = (name: string) => Promise<readonly SrvRecordInput[]>;

/** Retry a failed lookup after this long. */
const RETRY_MS = 30_000;

interface SrvEntry {
  readonly service: string;
  readonly domain: string;
  readonly priority: number;
}

/**
 * Background resolution of `service=name+domain` entries (`_name._tcp.domain`).
 * Until a lookup succeeds its servers are simply not in the pool, so a list of
 * only SRV entries answers "no upstream available (DNS pending or all dead)".
 * Each entry is resolved once successfully; failed lookups are retried.
 */
export function resolveSrvEntries(
  entries: readonly SrvEntry[],
  resolver: SrvResolver = (name) => dns.resolveSrv(name),
  now: () => number,
  add: (address: SocketAddress, priority: number) => void,
): { refresh(): void; settled(): Promise<void> } {
  const state = entries.map((e) => ({ entry: e, done: false, inFlight: null as Promise<void> | null, lastTry: -Infinity }));
  const seen = new Set<string>();
  return {
    refresh(): void {
      for (const s of state) {
        if (s.done || s.inFlight || now() - s.lastTry < RETRY_MS) continue;
        s.lastTry = now();
        s.inFlight = resolver(`_${s.entry.service}._tcp.${s.entry.domain}`)
          .then((records) => {
            for (const r of records) {
              const key = `${r.name}:${r.port}`;
              if (seen.has(key)) continue;
              seen.add(key);
              add({ kind: 'tcp', host: r.name, port: r.port }, s.entry.priority);
            }
            s.done = records.length > 0;
          })
          .catch(() => undefined)
          .finally(() => {
            s.inFlight = null;
          });
      }
    },
    async settled(): Promise<void> {
      await Promise.all(state.map((s) => s.inFlight));
    },
  };
}
