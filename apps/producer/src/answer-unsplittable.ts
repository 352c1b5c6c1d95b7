import type { AntivirusConfig } from '@avfleet/config';
import {
  MimeError, finishScan, newScanId,
  type AggregateJobData, type FinishScanInput, type IpWhitelist, type Logger, type RequestMeta, type ResultStore, type ScanJobResult,
} from '@avfleet/core';
import { fail } from '@avfleet/scanners';
import type { AcceptedMessage } from './intake/accept-message';

export interface UnsplittableDeps {
  readonly config: AntivirusConfig;
  readonly ipWhitelists: ReadonlyMap<string, IpWhitelist>;
  readonly finish: Omit<FinishScanInput, 'job' | 'results' | 'now' | 'missingReason' | 'missingAs'>;
  readonly results: Pick<ResultStore, 'save'>;
  readonly logger: Logger;
}

type Intake = { accept(raw: Buffer, meta: RequestMeta): Promise<AcceptedMessage> };

/**
 * A message that cannot be split within the MIME limits (too deep, too many parts,
 * a header block too large: MimeError) is a per-message failure, not a server error:
 * every rule that would have run ends in a fail verdict with reason `limits`
 * (its fail symbol, its fail_action), and the result is answered at once, without
 * a flow. Rules skipped by their IP whitelist stay skipped.
 */
export function answerUnsplittable(intake: Intake, deps: UnsplittableDeps): Intake {
  return {
    async accept(raw, meta) {
      try {
        return await intake.accept(raw, meta);
      } catch (err) {
        if (!(err instanceof MimeError)) throw err;
        return limitsResult(err, meta, deps);
      }
    },
  };
}

async function limitsResult(err: MimeError, meta: RequestMeta, deps: UnsplittableDeps): Promise<AcceptedMessage> {
  const now = Date.now();
  const scanId = newScanId(now);
  const skipped: Record<string, string> = {};
  const preResolved: ScanJobResult[] = [];
  for (const rule of deps.config.rules) {
    if (meta.ip && deps.ipWhitelists.get(rule.name)?.containsIp(meta.ip)) {
      skipped[rule.name] = 'whitelist_ip';
      continue;
    }
    preResolved.push({ rule: rule.name, partIndex: null, verdict: fail(`message not scanned: ${err.message}`, 'limits'), cached: false, ms: 0 });
  }
  const job: AggregateJobData = {
    v: 1, scanId, configDigest: deps.config.digest, receivedAt: now, messageKey: '', meta, parts: [], skipped, expected: [], preResolved,
  };
  const result = finishScan({ ...deps.finish, job, results: [], now: Date.now() });
  await deps.results.save(result);
  deps.logger.warn({ scanId, queueId: meta.queueId, code: err.code, err: err.message, action: result.action }, 'message could not be split within the MIME limits; every rule failed with reason limits');
  return { scanId, receivedAt: now, jobs: 0, messageId: null, result };
}
