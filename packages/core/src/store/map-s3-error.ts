import { StoreError } from './store-error';

/** Where a failing S3 call was going, for the error message. */
export interface S3CallContext {
  /** e.g. `http://127.0.0.1:9000` */
  readonly endpoint: string;
  readonly bucket: string;
  /** What was being done, e.g. `put`, `get`, `stat`. */
  readonly op: string;
  readonly key?: string;
}

/** S3 error codes meaning "no such object" (HEAD answers a bare 404, which minio names NotFound). */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
/** S3 error codes meaning the credentials or the region are wrong. */
const AUTH_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthorizationHeaderMalformed',
  'InvalidToken',
  'ExpiredToken',
  'AccountProblem',
]);
/** Node/network codes meaning the endpoint did not answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The S3 error code of a minio error (or the Node code of a network error), if it has one. */
export function s3ErrorCode(err: unknown): string | undefined {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' && c !== '' ? c : undefined;
}

/** True when the S3 call failed because the object (or its bucket) is not there. */
export function isS3NotFound(err: unknown): boolean {
  const c = s3ErrorCode(err);
  return c !== undefined && NOT_FOUND_CODES.has(c);
}

/**
 * Turns whatever the minio client threw into a StoreError:
 * missing object → AVF_ERR_STORE_NOT_FOUND; everything else (refused
 * connection, timeout, DNS, credentials, 5xx) → AVF_ERR_STORE_UNAVAILABLE
 * with a message that names the endpoint and what to check.
 */
export function mapS3Error(err: unknown, ctx: S3CallContext): StoreError {
  if (err instanceof StoreError) return err;
  const code = s3ErrorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  const target = ctx.key ? `${ctx.key} in bucket ${ctx.bucket}` : `bucket ${ctx.bucket}`;
  if (isS3NotFound(err)) {
    return new StoreError('AVF_ERR_STORE_NOT_FOUND', `no object ${target} at ${ctx.endpoint} (${code})`, {
      cause: err,
      key: ctx.key,
    });
  }
  let hint: string;
  if (code !== undefined && NETWORK_CODES.has(code)) {
    hint =
      `the S3 store at ${ctx.endpoint} did not answer (${code}: ${detail}); check that it is running and ` +
      'reachable from this host and that AVFLEET_S3_ENDPOINT names the right host and port';
  } else if (code !== undefined && AUTH_CODES.has(code)) {
    hint =
      `the S3 store at ${ctx.endpoint} refused the credentials (${code}: ${detail}); check AVFLEET_S3_ACCESS_KEY, ` +
      'AVFLEET_S3_SECRET_KEY and AVFLEET_S3_REGION, and that the key may use the bucket';
  } else {
    hint =
      `the S3 store at ${ctx.endpoint} failed (${code ?? 'error'}: ${detail}); check the store's health and ` +
      'the AVFLEET_S3_* settings';
  }
  return new StoreError('AVF_ERR_STORE_UNAVAILABLE', `cannot ${ctx.op} ${target}: ${hint}`, {
    cause: err,
    key: ctx.key,
  });
}
