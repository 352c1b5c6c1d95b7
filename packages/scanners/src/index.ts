export type { FailReason, CleanVerdict, VirusVerdict, EncryptedVerdict, MacroVerdict, CategoryVerdict, FailVerdict, Verdict, VerdictKind } from './verdict';
export { VERDICT_KINDS, clean, virus, encrypted, macro, category, fail, isCacheable } from './verdict';
export type { ScanBody, ScanContext, AttemptEvent, AttemptObserver, Scanner } from './scanner';
export type { SocketScannerOptions } from './scanner-options';

export type { TransportErrorCode, ScannerErrorCode } from './errors';
export { TransportError, ScannerError, isTransportError, TRANSPORT_ERROR_CODES, SCANNER_ERROR_CODES } from './errors';

export type { ScannerTypeName, ScannerClientOptions } from './create-scanner';
export { createScanner, SCANNER_TYPES, IMPLEMENTED_SCANNER_TYPES } from './create-scanner';

export type { SocketAddress, ConnectOptions } from './transport/socket-connection';
export { SocketConnection, formatAddress } from './transport/socket-connection';
export { DelimitedReader } from './transport/delimited-reader';
export type {
  ServerStrategyInput,
  ServerEntryInput,
  ServerListInput,
  UpstreamHealthOptions,
  UpstreamListOptions,
} from './transport/upstream-list';
export { UpstreamList, Upstream, UPSTREAM_HEALTH_DEFAULTS, REVIVE_JITTER } from './transport/upstream-list';
export type { SrvResolver, SrvRecordInput } from './transport/srv-resolver';
export type { RetransmitOptions, AttemptContext, RetransmitOutcome } from './transport/with-retransmits';
export {
  withRetransmits,
  FAIL_NO_UPSTREAM,
  FAIL_NO_UPSTREAM_FOR_RETRY,
  FAIL_RETRANSMITS_EXCEED,
  FAIL_DEADLINE,
} from './transport/with-retransmits';

export type { ClamavClientOptions } from './clients/clamav/clamav-client';
export { ClamavClient, CLAMAV_DEFAULT_CHUNK_SIZE } from './clients/clamav/clamav-client';
export { mapClamavReply, parseClamavVersion, isClamavSizeLimitReply, CLAMAV_SIZE_LIMIT_REPLY } from './clients/clamav/clamav-reply';
