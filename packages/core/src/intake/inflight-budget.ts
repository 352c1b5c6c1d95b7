import type { FleetMetrics } from '../observe/fleet-metrics';
import { IntakeError } from './intake-error';

/** Seconds a client refused for want of in-flight bytes is told to wait: uploads in progress end within seconds. */
export const BUSY_RETRY_AFTER_SEC = 2;

/** One message's share of the budget: grows as its bytes arrive, given back once. */
export interface Reservation {
  /** Bytes this message holds now. */
  readonly bytes: number;
  /** Reserve `bytes` more; false (nothing more reserved) when the budget would go over. */
  take(bytes: number): boolean;
  /** Give every byte back (again: nothing happens). */
  release(): void;
}

/**
 * The bytes of messages a producer process holds while they arrive and until they are answered
 * (AVFLEET_MAX_INFLIGHT_BYTES; its default: packages/config/src/fleet/inflight-default.ts): one budget per process, shared by every front end that buffers a
 * message (HTTP bodies, clamd INSTREAM bodies, milter messages). A message that would take it
 * over is refused with `AVF_ERR_BUSY` (`busyError`), so many large uploads at once cannot
 * exhaust memory.
 */
export class InflightBudget {
  private held = 0;

  constructor(
    readonly maxBytes: number,
    /** avfleet_inflight_bytes follows the bytes held; avfleet_rejected_requests_total{reason="busy"} counts refusals. */
    private readonly metrics: Partial<Pick<FleetMetrics, 'inflightBytes' | 'rejectedRequests'>> = {},
  ) {}

  /** Bytes reserved now, by every message together. */
  get reserved(): number {
    return this.held;
  }

  /**
   * The early refusal: a message announcing `bytes` (a Content-Length, a first INSTREAM chunk)
   * that cannot fit beside what is held now. Counted as a refusal when true.
   */
  wouldRefuse(bytes: number): boolean {
    if (this.held + bytes <= this.maxBytes) return false;
    this.metrics.rejectedRequests?.inc({ reason: 'busy' });
    return true;
  }

  /** A new, empty reservation for one message. */
  open(): Reservation {
    let mine = 0;
    let released = false;
    const take = (bytes: number): boolean => {
      if (released) return false;
      if (this.held + bytes > this.maxBytes) {
        this.metrics.rejectedRequests?.inc({ reason: 'busy' });
        return false;
      }
      this.held += bytes;
      mine += bytes;
      this.metrics.inflightBytes?.set(this.held);
      return true;
    };
    const release = (): void => {
      if (released) return;
      released = true;
      this.held = Math.max(0, this.held - mine);
      mine = 0;
      this.metrics.inflightBytes?.set(this.held);
    };
    return {
      get bytes() {
        return mine;
      },
      take,
      release,
    };
  }
}

/** The refusal when the budget is spent: retry shortly (HTTP 503 + Retry-After, clamd a temporary ERROR, milter 451). */
export function busyError(budget: Pick<InflightBudget, 'maxBytes'>): IntakeError {
  return new IntakeError(
    'AVF_ERR_BUSY',
    `messages being received hold all ${budget.maxBytes} bytes this producer may buffer (AVFLEET_MAX_INFLIGHT_BYTES); retry shortly, add producers or raise the limit`,
    BUSY_RETRY_AFTER_SEC,
  );
}
