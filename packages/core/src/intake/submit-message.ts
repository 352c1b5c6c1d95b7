import { MAX_DEADLINE_SEC } from '@avfleet/config';
import type { RequestMeta } from '../contracts/request-meta';
import { boundRequestMeta } from '../contracts/field-bounds';
import type { ScanResult } from '../contracts/scan-result';
import type { FleetMetrics } from '../observe/fleet-metrics';
import type { Logger } from '../observe/logger';
import type { BodyShape } from '../mime/mime-part';
import type { Intake } from './accept-message';
import { IntakeError } from './intake-error';
import { INTAKE_TIMEOUT_MS, guarded, within } from './within';

/**
 * Longest a submission waits, on every route and front end: a longer `wait` or Deadline
 * is capped to it (README, Limits). Every timer of a submission stays under it (and so
 * far under Node's 2^31 ms timer limit). The settings check warns about a front-end
 * deadline above it (AVF_WARN_DEADLINE_CAPPED), so it is defined with the settings.
 */
export const MAX_WAIT_SEC = MAX_DEADLINE_SEC;
/**
 * A `wait` or Deadline over this (one year) is nonsense, not a long wait: front ends refuse it
 * (HTTP 400). Up to it a value is taken and capped to MAX_WAIT_SEC.
 */
export const MAX_REQUESTED_SEC = 365 * 86_400;
/** Time kept back before a Deadline to read the partial result and answer. */
const PARTIAL_RESERVE_MS = 300;
/** Floor for the partial-result read when the deadline is (nearly) spent. */
const PARTIAL_MIN_MS = 250;

/** One message handed in by a front end (HTTP, and any other protocol adapter). */
export interface Submission {
  /** The raw message (RFC 5322 bytes). */
  readonly raw: Buffer;
  /** What the front end knows about the message (envelope, client, Deadline). */
  readonly meta: RequestMeta;
  /** How long to wait for the verdict, in seconds (0: accept only). Capped at MAX_WAIT_SEC. */
  readonly waitSec: number;
  /** When the request arrived (ms): a Deadline in `meta` counts from here. Default: now. */
  readonly startedAt?: number;
  /**
   * `message` (default): RFC 5322 bytes, split into MIME parts and selected by each rule.
   * `file`: one file (not mail), scanned whole as a single nameless attachment (splitAsSingleFile).
   */
  readonly shape?: BodyShape;
}

/** The verdict, or the id to ask for it later; `messageId` is the message's Message-ID header. */
export type SubmitOutcome = ({ done: true; result: ScanResult } | { done: false; scanId: string }) & { messageId: string | null };

/** What `submitMessage` needs; each piece is narrow so a front end's tests can build it from fakes. */
export interface SubmitDeps {
  /** split → select → cache → store → enqueue (acceptMessage bound to its dependencies). */
  readonly intake: Intake;
  /** Waits for a finished result (ResultWaiter). */
  /** `enqueuedSince`: no later than the scan's enqueue (intake/await-result.ts). */
  readonly waiter: { wait(scanId: string, waitMs: number, enqueuedSince?: number): Promise<ScanResult | null> };
  /** Seconds a caller should wait before retrying because too many jobs wait, or 0 (Backpressure). */
  readonly backpressure: { retryAfterSec(): Promise<number> };
  /** The result so far, with unfinished rules as `deadline` fail verdicts (partialResult). */
  readonly partialResult: (scanId: string) => Promise<ScanResult | null>;
  readonly metrics: Pick<FleetMetrics, 'rejectedRequests' | 'deadlinesMissed'>;
  readonly logger: Logger;
  /** Longest a Redis or store call may take before the submission is refused as unavailable (default INTAKE_TIMEOUT_MS). */
  readonly storeTimeoutMs?: number;
  /** The cap on `waitSec` and on a Deadline (default MAX_WAIT_SEC; tests shorten it). */
  readonly maxWaitSec?: number;
}

/** The protocol-neutral entry point: submit a message and get its verdict by a deadline. */
export interface MessageSubmitter {
  /** Refuses with an IntakeError (empty, queue full, Redis or store unavailable); any other error is a bug. */
  submit(submission: Submission): Promise<SubmitOutcome>;
  /** The result so far (unfinished rules as `deadline` fails), or null when it cannot be read within `ms`. */
  readPartial(scanId: string, ms: number): Promise<ScanResult | null>;
  /** Longest a single Redis or store call may take (ms). */
  readonly storeTimeoutMs: number;
}

/**
 * Accept, then wait. Every Redis or store call is bounded (`AVF_ERR_UNAVAILABLE` past the
 * bound). With a Deadline the clock starts at `startedAt` and the answer comes by then:
 * what is not finished is read as a partial result (missing rules as `deadline` fails).
 */
export function createMessageSubmitter(deps: SubmitDeps): MessageSubmitter {
  const storeMs = deps.storeTimeoutMs ?? INTAKE_TIMEOUT_MS;
  const maxWaitSec = deps.maxWaitSec ?? MAX_WAIT_SEC;

  async function readPartial(scanId: string, ms: number): Promise<ScanResult | null> {
    try {
      return await within(deps.partialResult(scanId), ms, 'Redis (partial result)');
    } catch (err) {
      deps.logger.warn({ scanId, err: err instanceof Error ? err.message : String(err) }, 'partial result unavailable');
      return null;
    }
  }

  async function submit({ raw, meta: given, waitSec, startedAt = Date.now(), shape = 'message' }: Submission): Promise<SubmitOutcome> {
    // One bound per metadata field for every front end (contracts/field-bounds.ts): cut, never refused.
    const bounded = boundRequestMeta(given);
    if (bounded.cut.length > 0) {
      deps.logger.warn(
        { code: 'AVF_WARN_REQUEST_META_CUT', fields: bounded.cut, rcptDropped: bounded.rcptDropped, queueId: bounded.meta.queueId },
        'request metadata over its bounds was cut (README "Limits")',
      );
    }
    const asked = bounded.meta;
    // A Deadline past the cap is the cap, for every timer here and for the scan jobs' own deadline.
    const meta = asked.deadlineSec !== null && asked.deadlineSec > maxWaitSec ? { ...asked, deadlineSec: maxWaitSec } : asked;
    const deadlineAt = meta.deadlineSec !== null ? startedAt + meta.deadlineSec * 1000 : null;
    const bound = (): number => (deadlineAt === null ? storeMs : Math.max(1, Math.min(storeMs, deadlineAt - Date.now())));
    if (raw.length === 0) throw new IntakeError('AVF_ERR_EMPTY_BODY', 'the message is empty: send the raw message (RFC 5322 bytes)');
    const retryAfter = await guarded(deps.backpressure.retryAfterSec(), bound(), 'Redis (queue depth)');
    if (retryAfter > 0) {
      deps.metrics.rejectedRequests.inc({ reason: 'queue_full' });
      throw new IntakeError('AVF_ERR_QUEUE_FULL', 'too many scan jobs are waiting (AVFLEET_MAX_WAITING); retry later', retryAfter);
    }
    // Refused (past the bound, or Redis or the store failed): the accept is aborted, so whatever
    // it still does leaves nothing behind — never enqueued, or enqueued and cancelled (acceptMessage).
    const refused = new AbortController();
    // No later than the enqueue: a result published after it is heard by this process's subscription (intake/await-result.ts).
    const acceptFrom = Date.now();
    const accepted = await guarded(deps.intake.accept(raw, meta, shape, refused.signal), bound(), 'Redis or the object store').catch((err: unknown) => {
      refused.abort(err);
      throw err;
    });
    const notDone: SubmitOutcome = { done: false, scanId: accepted.scanId, messageId: accepted.messageId };
    const wait = Math.min(waitSec, maxWaitSec);
    if (wait <= 0) return notDone;
    // Answered from the verdict cache without a flow.
    if (accepted.result) return { done: true, result: accepted.result, messageId: accepted.messageId };

    const waitEndAt = startedAt + wait * 1000;
    const deadlineEndAt = deadlineAt === null ? Infinity : deadlineAt - Math.min(PARTIAL_RESERVE_MS, (deadlineAt - startedAt) / 5);
    const endAt = Math.min(waitEndAt, deadlineEndAt);
    const waitMs = Math.max(0, endAt - Date.now());
    // Enqueued: from here on the answer is the verdict or the scan id, never a refusal (a 503 would
    // make the client resubmit a message whose result will appear).
    let result: ScanResult | null;
    try {
      result = await guarded(deps.waiter.wait(accepted.scanId, waitMs, acceptFrom), waitMs + storeMs, 'Redis (scan result)');
    } catch (err) {
      if (!(err instanceof IntakeError)) throw err;
      deps.logger.warn({ scanId: accepted.scanId, code: err.code }, 'the result could not be awaited; answering with the scan id');
      return notDone;
    }
    if (result) return { done: true, result, messageId: accepted.messageId };
    if (deadlineAt !== null) {
      const partial = await readPartial(accepted.scanId, Math.max(PARTIAL_MIN_MS, deadlineAt - Date.now()));
      // The Deadline, not a shorter `wait`, ended the wait: the scan is late.
      if (deadlineEndAt <= waitEndAt) deps.metrics.deadlinesMissed.inc({ answer: partial ? 'partial' : 'scan_id' });
      if (partial) return { done: true, result: partial, messageId: accepted.messageId };
    }
    return notDone;
  }

  return { submit, readPartial, storeTimeoutMs: storeMs };
}
