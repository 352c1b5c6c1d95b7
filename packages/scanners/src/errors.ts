/**
 * Errors of the scanners package, each with a stable `code` (docs/errors.md).
 * Callers branch on `code`, never on `instanceof` (it does not survive Redis).
 * A scan never rejects with these: `with-retransmits.ts` turns the last
 * TransportError into a `fail` verdict. They surface from the transport layer,
 * from `signatureVersion()` and from `createScanner`.
 */
import { CodedError } from './coded-error';

export type TransportErrorCode =
  | 'AVF_ERR_TRANSPORT_TIMEOUT'
  | 'AVF_ERR_TRANSPORT_CONNECT'
  | 'AVF_ERR_TRANSPORT_RESET'
  | 'AVF_ERR_TRANSPORT_CLOSED'
  | 'AVF_ERR_TRANSPORT_NO_UPSTREAM';

export const TRANSPORT_ERROR_CODES: readonly TransportErrorCode[] = [
  'AVF_ERR_TRANSPORT_TIMEOUT',
  'AVF_ERR_TRANSPORT_CONNECT',
  'AVF_ERR_TRANSPORT_RESET',
  'AVF_ERR_TRANSPORT_CLOSED',
  'AVF_ERR_TRANSPORT_NO_UPSTREAM',
];

/** An I/O failure talking to one scanner server (refused, reset, timeout, early close, no server). */
export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name = 'TransportError';
  /** The server the error happened on (`host:port` or a socket path), when there was one. */
  readonly server: string | undefined;

  constructor(code: TransportErrorCode, message: string, options: { cause?: unknown; server?: string } = {}) {
    super(code, message, options);
    this.server = options.server;
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

export type ScannerErrorCode = 'AVF_ERR_SCANNER_UNKNOWN_TYPE' | 'AVF_ERR_SCANNER_OPTIONS';

export const SCANNER_ERROR_CODES: readonly ScannerErrorCode[] = [
  'AVF_ERR_SCANNER_UNKNOWN_TYPE',
  'AVF_ERR_SCANNER_OPTIONS',
];

/** A scanner client cannot be built (unknown type, unusable options). */
export class ScannerError extends CodedError<ScannerErrorCode> {
  override readonly name = 'ScannerError';
}
