import { createHash } from 'node:crypto';
import { decodeBase64InPlace, decodeTransferEncoding } from '../mime/transfer-decoding';
import type { ObjectStore } from '../store/object-store';
import { StoreError } from '../store/store-error';
import type { ScanJobData } from '../contracts/scan-job-data';

/** What reading a job's body needs to know of the job. */
export type JobBodyRef = Pick<ScanJobData, 'key' | 'range' | 'sha256' | 'partIndex'>;

/**
 * The bytes a job scans, read whole: the object under `key`, or the job's range of the stored
 * message (D59) with its transfer encoding removed by the splitter's own decoder. A range must
 * decode to the bytes the producer hashed: anything else rejects with
 * AVF_ERR_STORE_BODY_MISMATCH (the caller turns it into a fail verdict), so a changed or
 * foreign message can never be scanned in the part's place. Store failures reject with their
 * StoreError.
 */
export async function readJobBody(store: ObjectStore, d: JobBodyRef): Promise<Buffer> {
  const r = d.range;
  if (!r) return store.get(d.key);
  const bytes = await store.getRange(d.key, r.offset, r.length);
  // The read's buffer is this call's own (ObjectStore.getRange): base64 is decoded over it, no second buffer.
  const body = r.encoding === 'base64' ? decodeBase64InPlace(bytes) : decodeTransferEncoding(bytes, r.encoding).content;
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== d.sha256) throw bodyMismatch(d, actual);
  return body;
}

function bodyMismatch(d: JobBodyRef, actual: string): StoreError {
  const r = d.range!;
  return new StoreError(
    'AVF_ERR_STORE_BODY_MISMATCH',
    // The code leads the text: the fail verdict carries the message.
    `AVF_ERR_STORE_BODY_MISMATCH: part ${d.partIndex ?? '(message)'} read from ${d.key} at ${r.offset}+${r.length} (${r.encoding ?? 'no'} encoding) has SHA-256 ${actual}, ` +
      `not ${d.sha256}: the stored message is not the one this job was made for`,
    { key: d.key },
  );
}
