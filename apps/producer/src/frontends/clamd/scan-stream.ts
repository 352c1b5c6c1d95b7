import { EMPTY_META, IntakeError } from '@avfleet/core';
import type { ClamdDeps } from './clamd-deps';
import { withCode } from './clamd-error-codes';
import { CLAMD_REPLY, streamError } from './clamd-reply';
import { looksLikeMail } from './looks-like-mail';
import { resultToReply } from './result-to-reply';

/**
 * Scans one INSTREAM body through core's submitter and gives the reply text. A mail message
 * (looksLikeMail) is submitted as a message, split and selected by the rules; anything else
 * as one file every rule scans. The answer comes by AVFLEET_CLAMD_DEADLINE: the result, the
 * partial result (unfinished rules are `deadline` fails), or an ERROR naming the deadline.
 * Refusals (queue full, Redis or the store unavailable) are ERROR lines, which clamd clients
 * treat as a temporary failure. Never throws.
 */
export async function scanStream(body: Buffer, deps: ClamdDeps, startedAt = Date.now()): Promise<string> {
  // clamd answers an empty stream as a clean file; there is nothing to submit.
  if (body.length === 0) return CLAMD_REPLY.STREAM_OK;
  const shape = looksLikeMail(body) ? 'message' : 'file';
  try {
    const outcome = await deps.submitter.submit({
      raw: body, meta: { ...EMPTY_META, deadlineSec: deps.deadlineSec }, waitSec: deps.deadlineSec, startedAt, shape,
    });
    if (outcome.done) return resultToReply(outcome.result);
    return streamError(withCode('AVF_ERR_CLAMD_DEADLINE', `no verdict within AVFLEET_CLAMD_DEADLINE (${deps.deadlineSec} s); add workers, or raise it while it stays under the client's timeout`));
  } catch (err) {
    if (err instanceof IntakeError) {
      const retry = err.retryAfterSec !== null ? ` (retry in ${err.retryAfterSec} s)` : '';
      return streamError(`${err.code}: ${err.message}${retry}`);
    }
    deps.logger.error({ code: 'AVF_ERR_INTERNAL', err: err instanceof Error ? err.message : String(err) }, 'clamd front end: scan failed');
    return streamError('AVF_ERR_INTERNAL: the scan failed; the producer log has the details');
  }
}
