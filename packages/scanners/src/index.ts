export type { FailReason, CleanVerdict, VirusVerdict, EncryptedVerdict, MacroVerdict, CategoryVerdict, FailVerdict, Verdict, VerdictKind } from './verdict';
export { VERDICT_KINDS, clean, virus, encrypted, macro, category, fail, isCacheable } from './verdict';
export type { ScanBody, ScanContext, AttemptEvent, AttemptObserver, Scanner } from './scanner';
export type { ScannerCommonOptions, TempFileScannerOptions, SavapiScannerOptions } from './scanner-options';
export { DEFAULT_TMPDIR } from './scanner-options';
export type { ScannerType, ScannerSpecificOptions, SpecificOptionsOf, SpecificFieldsByType, HashServiceSpecific } from './scanner-types';
export { SCANNER_TYPES, isHashService, isHashServiceType, isScannerType, sendsEnvelope } from './scanner-types';

export { CodedError } from './coded-error';
export type { TransportErrorCode, ScannerErrorCode } from './errors';
export { TransportError, ScannerError, isTransportError, TRANSPORT_ERROR_CODES, SCANNER_ERROR_CODES } from './errors';

export { createScanner } from './create-scanner';

export type { SocketAddress, ConnectOptions } from './transport/socket-connection';
export { SocketConnection, formatAddress } from './transport/socket-connection';
export { DelimitedReader } from './transport/delimited-reader';
export type {
  ServerStrategy,
  ServerEntry,
  ServerList,
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

export { withTempFile, tempFilePath, tempFileFail, TempFileError, TEMP_FILE_MODE, TEMP_FILE_FAIL_PREFIX } from './transport/temp-file';
export type { FprotClientOptions } from './clients/fprot/fprot-client';
export { FprotClient } from './clients/fprot/fprot-client';
export { mapFprotReply, fprotRequestLine } from './clients/fprot/fprot-reply';
export type { SophosClientOptions } from './clients/sophos/sophos-client';
export { SophosClient } from './clients/sophos/sophos-client';
export { SophosReplyParser, SOPHOS_ENCRYPTED_TEXT, SOPHOS_OVERSIZED_TEXT, SOPHOS_PROTOCOL_ERROR_TEXT } from './clients/sophos/sophos-reply';
export type { SavapiClientOptions } from './clients/savapi/savapi-client';
export { SavapiClient } from './clients/savapi/savapi-client';
export type { SavapiStep } from './clients/savapi/savapi-reply';
export { SavapiScanReply, savapiDetectionName } from './clients/savapi/savapi-reply';
export type { KasperskyClientOptions } from './clients/kaspersky/kaspersky-client';
export { KasperskyClient } from './clients/kaspersky/kaspersky-client';
export { mapKasperskyReply } from './clients/kaspersky/kaspersky-reply';
export type { AvastClientOptions } from './clients/avast/avast-client';
export { AvastClient } from './clients/avast/avast-client';
export { AvastScanReply, unescapeAvastName } from './clients/avast/avast-reply';

export type { HttpRequestOptions, HttpResponse } from './transport/http-request';
export { httpRequest, hostHeader, HTTP_DEFAULT_MAX_BODY } from './transport/http-request';
export type { KasperskySeClientOptions } from './clients/kaspersky-se/kaspersky-se-client';
export { KasperskySeClient, KASPERSKY_SE_USER_AGENT, KASPERSKY_SE_DEFAULTS } from './clients/kaspersky-se/kaspersky-se-client';
export { mapKasperskySeReply, KASPERSKY_SE_MACRO_TEXT, KASPERSKY_SE_ENCRYPTED_TEXT } from './clients/kaspersky-se/kaspersky-se-reply';
export type { HashCategoryName, HashCategorySymbol, HashServiceType, HashThresholds } from './clients/shared/hash-category';
export { categoryFromCounts, bodyDigest, defaultCategorySymbols, HASH_CATEGORY_NAMES, HASH_DEFAULT_THRESHOLDS, HASH_SERVICE_TYPES, HASH_SERVICE_URLS } from './clients/shared/hash-category';
export type { HashLookupClientOptions } from './clients/shared/hash-lookup';
export type { VirustotalClientOptions } from './clients/virustotal/virustotal-client';
export { VirustotalClient } from './clients/virustotal/virustotal-client';
export { mapVirustotalReply, virustotalRequestUrl } from './clients/virustotal/virustotal-reply';
export type { MetadefenderClientOptions } from './clients/metadefender/metadefender-client';
export { MetadefenderClient } from './clients/metadefender/metadefender-client';
export { mapMetadefenderReply } from './clients/metadefender/metadefender-reply';
export type { IcapSettings, IcapClientOptions, IcapOptionName, IcapOptions } from './clients/icap/icap-options';
export { ICAP_DEFAULTS, ICAP_SETTINGS_DEFAULTS, icapSettings, resolveIcapSettings } from './clients/icap/icap-options';
export { IcapClient, ICAP_EXTENDED_AGENT } from './clients/icap/icap-client';
export type { IcapBlock } from './clients/icap/icap-block';
export { parseIcapBlock, parseEncapsulated } from './clients/icap/icap-block';
export type { RespmodInput } from './clients/icap/icap-request';
export { buildOptionsRequest, buildRespmodHead, respmodTrailer, partRequestUrl, encodeFileName, icapAddr } from './clients/icap/icap-request';
export type { IcapThreatResult } from './clients/icap/icap-threats';
export { icapThreatCascade, splitThreats } from './clients/icap/icap-threats';
export { RefreshedValue } from './refreshed-value';
export type { RefreshedValueOptions } from './refreshed-value';
