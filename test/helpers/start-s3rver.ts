import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDetached, stopProcessGroup } from './daemon-process';
import { waitUntil } from './wait-until';

export interface StartS3rverOptions {
  /** Working folder: the object store lives in `<dir>/store`, output in `<dir>/s3rver.out`. */
  dir: string;
  host?: string;
  port: number;
  /** Bound on the wait for the first answer (default 20 s). */
  readyTimeoutMs?: number;
}

export interface StartedS3rver {
  pid: number;
  /** http://host:port */
  endpoint: string;
  outputPath: string;
  stop(): Promise<void>;
}

/** Absolute path of the launcher script (plain ESM, run by this Node binary). */
export const S3RVER_LAUNCHER = join(__dirname, 's3rver-launcher.mjs');

/** True when `endpoint` answers the S3 ListBuckets call like an S3 server. */
export async function s3Answers(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 200 && (await res.text()).includes('ListAllMyBucketsResult');
  } catch {
    return false;
  }
}

/**
 * Starts s3rver 3.7.1 (anonymous access, path-style buckets) through s3rver-launcher.mjs as
 * a detached child, with the ListMultipartUploads and keep-alive fixes the minio client
 * needs, and resolves once it answers.
 */
export async function startS3rver(options: StartS3rverOptions): Promise<StartedS3rver> {
  const host = options.host ?? '127.0.0.1';
  const store = join(options.dir, 'store');
  mkdirSync(store, { recursive: true });
  const outputPath = join(options.dir, 's3rver.out');
  writeFileSync(outputPath, '');
  const args = [S3RVER_LAUNCHER, '--host', host, '--port', String(options.port), '--dir', store];
  const handle = spawnDetached(process.execPath, args, outputPath, options.dir);
  const endpoint = `http://${host}:${options.port}`;
  const stop = (): Promise<void> => stopProcessGroup(handle.pid);
  const output = (): string => {
    try {
      return readFileSync(outputPath, 'utf8').trimEnd();
    } catch {
      return '(no output)';
    }
  };
  const timeoutMs = options.readyTimeoutMs ?? 20000;
  try {
    await waitUntil(() => s3Answers(endpoint), {
      timeoutMs,
      failureMessage: () => `AVF_ERR_TEST_S3RVER_START: s3rver (pid ${handle.pid}) did not answer on ${endpoint} within ${timeoutMs} ms; see ${outputPath}:\n${output()}`,
      abortWhen: () => {
        const status = handle.exitStatus();
        return status === undefined ? undefined : `AVF_ERR_TEST_S3RVER_START: s3rver exited (${status}); see ${outputPath}:\n${output()}`;
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: handle.pid, endpoint, outputPath, stop };
}
