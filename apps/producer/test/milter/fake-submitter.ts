/** A MessageSubmitter for tests: records every submission and answers what `decide` says. */
import type { ActionName } from '@avfleet/config';
import type { MessageSubmitter, ScanResult, Submission, SubmitOutcome } from '@avfleet/core';

export function resultOf(action: ActionName, message: string | null, symbols: Record<string, string[]> = {}): ScanResult {
  return {
    id: 'scan-1', state: 'done', action, score: action === 'reject' ? 20 : 0, required_score: 15, message, parts: [], skipped: {}, queue_id: null, elapsed_ms: 1,
    symbols: Object.fromEntries(Object.entries(symbols).map(([name, options]) => [name, { name, score: 1, ...(options.length > 0 ? { options } : {}) }])),
  };
}

export class FakeSubmitter implements Pick<MessageSubmitter, 'submit'> {
  readonly submissions: Submission[] = [];
  constructor(private readonly decide: (s: Submission) => Promise<SubmitOutcome> | SubmitOutcome) {}
  async submit(s: Submission): Promise<SubmitOutcome> {
    this.submissions.push(s);
    return this.decide(s);
  }
}

export const done = (result: ScanResult): SubmitOutcome => ({ done: true, result, messageId: null });
