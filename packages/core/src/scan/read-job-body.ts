import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { decodeTransferEncoding } from '../mime/transfer-decoding';
import { decodingStream } from '../mime/transfer-decoding-stream';
import type { ObjectStore } from '../store/object-store';
import { StoreError } from '../store/store-error';
import type { ScanJobData } from '../contracts/scan-job-data';

/** What reading a job's body needs to know of the job. */
export type JobBodyRef = Pick<ScanJobData, 'key' | 'range' | 'sha256' | 'partIndex'>;

/**
 * The bytes a job scans, read whole: the object under `key`, or the job's range of the stored
 * message (D58) with its transfer encoding removed by the splitter's own decoder. A range must
 * decode to the bytes the producer hashed: anything else rejects with
 * AVF_ERR_STORE_BODY_MISMATCH (the caller turns it into a fail verdict), so a changed or
 * foreign message can never be scanned in the part's place. Store failures reject with their
 * StoreError.
 */
export async function readJobBody(store: ObjectStore, d: JobBodyRef): Promise<Buffer> {
  const r = d.range;
  if (!r) return store.get(d.key);
  const body = decodeTransferEncoding(await store.getRange(d.key, r.offset, r.length), r.encoding).content;
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== d.sha256) throw bodyMismatch(d, actual);
  return body;
}

/**
 * The job's body as a stream, never whole in memory: the object under `key`, or the job's range
 * of the stored message read piece by piece and decoded as it comes (decodingStream; the job's
 * encoding must be one that decodesAsStream). The decoded bytes are hashed on the way: when they
 * do not match the job's digest the stream errors with AVF_ERR_STORE_BODY_MISMATCH before it
 * ends, so a scanner never gets to finish the body (clamd's end-of-stream chunk is not sent)
 * and the scan is a fail verdict, never a verdict on other bytes.
 */
export async function openJobBody(store: ObjectStore, d: JobBodyRef): Promise<Readable> {
  const r = d.range;
  if (!r) return store.getStream(d.key);
  const source = await store.getRangeStream(d.key, r.offset, r.length);
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      const actual = hash.digest('hex');
      done(actual === d.sha256 ? null : bodyMismatch(d, actual));
    },
  });
  // Errors of any stage reach `check`, the stream the scanner reads; destroying it stops the read.
  return pipeline(source, decodingStream(r.encoding), check, () => undefined);
}

function bodyMismatch(d: JobBodyRef, actual: string): StoreError {
  const r = d.range!;
  return new StoreError(
    'AVF_ERR_STORE_BODY_MISMATCH',
    // The code leads the text: a scanner reading the stream reports the message only (scan failed: …).
    `AVF_ERR_STORE_BODY_MISMATCH: part ${d.partIndex ?? '(message)'} read from ${d.key} at ${r.offset}+${r.length} (${r.encoding ?? 'no'} encoding) has SHA-256 ${actual}, ` +
      `not ${d.sha256}: the stored message is not the one this job was made for`,
    { key: d.key },
  );
}
