import { Registry } from 'prom-client';
import {
  InflightBudget, NOOP_LOGGER, createFleetMetrics, createMessageSubmitter, newScanId, scanStatusOf, type AcceptedMessage, type Readiness, type RequestMeta, type ScanResult, type SubmitDeps,
} from '@avfleet/core';
import type { HttpDeps } from '../src/frontends/http/http-deps';

/**
 * An in-memory stand-in for Redis, the store and the workers, for tests of the
 * HTTP layer (buildServer(fake.deps, …)): the real submitter (core's
 * createMessageSubmitter) over fake intake, waiter and queue depth.
 */
export interface FakeFleet {
  readonly deps: HttpDeps;
  /** Every message intake accepted, in order. */
  readonly accepted: { readonly scanId: string; readonly raw: Buffer; readonly meta: RequestMeta }[];
  /** Finished results by scan id. */
  readonly results: Map<string, ScanResult>;
  /** BullMQ states of aggregation jobs by scan id (`waiting`, `active`, …). */
  readonly jobStates: Map<string, string>;
  /** Marks a scan finished now (wakes waiters). */
  finish(scanId: string, result?: ScanResult): void;
}

export interface FakeFleetOptions {
  /** Each accepted scan finishes this many ms later; null: never (default 0). */
  readonly finishAfterMs?: number | null;
  /** The result a finished scan gets (default: a clean result). */
  readonly resultFor?: (scanId: string, meta: RequestMeta) => ScanResult;
  /** partialResult's answer for an unfinished scan (default: null). */
  readonly partialFor?: (scanId: string) => Promise<ScanResult | null>;
  /** Replaces intake.accept (e.g. to throw or hang). */
  readonly accept?: (raw: Buffer, meta: RequestMeta) => Promise<AcceptedMessage>;
  readonly retryAfterSec?: () => Promise<number>;
  readonly readiness?: () => Promise<Readiness>;
  /** Replaces the stored-result reader (e.g. to hang). */
  readonly results?: { load(scanId: string): Promise<ScanResult | null> };
  /** Longest a fake Redis or store call may take before the submission is refused (default 300 ms). */
  readonly storeTimeoutMs?: number;
  /** The in-flight byte budget (default 1 GiB). */
  readonly inflightBytes?: number;
  /** The submitter's cap on wait and Deadline (default MAX_WAIT_SEC). */
  readonly maxWaitSec?: number;
  readonly overrides?: Partial<HttpDeps>;
}

/** A clean (or, with `virus`, an EICAR) result in the shape of docs/interfaces.md §3. */
export function sampleResult(scanId: string, kind: 'clean' | 'virus' = 'clean', queueId: string | null = null): ScanResult {
  const virus = kind === 'virus';
  return {
    id: scanId, state: 'done', action: virus ? 'reject' : 'no action', score: 0, required_score: 15,
    symbols: virus ? { CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 0, options: ['Eicar-Test-Signature.UNOFFICIAL'] } } : {},
    message: virus ? 'clamav: virus found: "Eicar-Test-Signature.UNOFFICIAL"' : null,
    parts: [], skipped: {}, queue_id: queueId, elapsed_ms: 3,
  };
}

export function fakeFleet(opts: FakeFleetOptions = {}): FakeFleet {
  const accepted: FakeFleet['accepted'] = [];
  const results = new Map<string, ScanResult>();
  const jobStates = new Map<string, string>();
  const wakers = new Map<string, Set<() => void>>();
  const metas = new Map<string, RequestMeta>();
  const finishAfter = opts.finishAfterMs === undefined ? 0 : opts.finishAfterMs;

  const finish = (scanId: string, result?: ScanResult): void => {
    results.set(scanId, result ?? (opts.resultFor ?? ((id, m) => sampleResult(id, 'clean', m.queueId)))(scanId, metas.get(scanId) ?? ({} as RequestMeta)));
    jobStates.set(scanId, 'completed');
    for (const w of wakers.get(scanId) ?? []) w();
    wakers.delete(scanId);
  };

  const defaultAccept = async (raw: Buffer, meta: RequestMeta): Promise<AcceptedMessage> => {
    const scanId = newScanId();
    accepted.push({ scanId, raw, meta });
    metas.set(scanId, meta);
    jobStates.set(scanId, 'waiting');
    if (finishAfter !== null) setTimeout(() => finish(scanId), finishAfter).unref();
    const mid = /^message-id:\s*(.+)$/im.exec(raw.toString('latin1'));
    return { scanId, receivedAt: Date.now(), jobs: 1, messageId: mid ? mid[1].trim() : null, result: null };
  };

  const metrics = createFleetMetrics(new Registry(), { defaultMetrics: false });
  const submitDeps: SubmitDeps = {
    intake: { accept: opts.accept ?? defaultAccept },
    waiter: {
      wait: (scanId, waitMs) => {
        const done = results.get(scanId);
        if (done || waitMs <= 0) return Promise.resolve(done ?? null);
        return new Promise((resolve) => {
          const timer = setTimeout(() => resolve(results.get(scanId) ?? null), waitMs);
          const set = wakers.get(scanId) ?? new Set();
          set.add(() => {
            clearTimeout(timer);
            resolve(results.get(scanId) ?? null);
          });
          wakers.set(scanId, set);
        });
      },
    },
    backpressure: { retryAfterSec: opts.retryAfterSec ?? (() => Promise.resolve(0)) },
    partialResult: opts.partialFor ?? (() => Promise.resolve(null)),
    metrics,
    logger: NOOP_LOGGER,
    storeTimeoutMs: opts.storeTimeoutMs ?? 300,
    ...(opts.maxWaitSec !== undefined ? { maxWaitSec: opts.maxWaitSec } : {}),
  };
  // The scan's state as ScanStateStore.progress reads it: gone once completed.
  const progress = {
    progress: (id: string): Promise<'queued' | 'running' | null> => {
      const state = jobStates.get(id);
      return Promise.resolve(state === undefined || state === 'completed' ? null : state === 'active' ? 'running' : 'queued');
    },
  };
  const resultReader = opts.results ?? { load: (id: string) => Promise.resolve(results.get(id) ?? null) };
  const deps: HttpDeps = {
    submitter: createMessageSubmitter(submitDeps),
    scanStatus: (id) => scanStatusOf(id, resultReader, progress, submitDeps.storeTimeoutMs ?? 300),
    metrics,
    logger: NOOP_LOGGER,
    apiToken: null,
    maxMessageBytes: 1024 * 1024,
    inflight: new InflightBudget(opts.inflightBytes ?? 1024 * 1024 * 1024, metrics),
    readiness: opts.readiness ?? (() => Promise.resolve({ ok: true, redis: 'ok', store: 'ok', details: {} })),
    ...opts.overrides,
  };
  return { deps, accepted, results, jobStates, finish };
}
