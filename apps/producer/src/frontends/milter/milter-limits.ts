/**
 * Fixed bounds of one milter connection (README "Postfix and Sendmail (milter)"); the
 * configurable ones are fleet settings (AVFLEET_MILTER_*, AVFLEET_MAX_MESSAGE_BYTES).
 */

/**
 * Largest packet accepted (command byte + data). Postfix sends body chunks of at most 65535
 * bytes (MILTER_CHUNK_SIZE in src/milter/milter8.c) unless a milter asks for more, which avfleet
 * does not; a header is at most Postfix's header_size_limit (102400). A longer packet closes the
 * connection before any of its data is buffered.
 */
export const MAX_PACKET_BYTES = 1024 * 1024;

/**
 * Longest silence between two packets. The MTA keeps one milter connection per SMTP session
 * and an SMTP client may be silent for Postfix's smtpd_timeout (300 s) between commands.
 */
export const IDLE_TIMEOUT_MS = 600_000;

/**
 * Longest time from the first byte of a packet to its last. An MTA writes each packet at once
 * (Postfix's milter_cmd_timeout is 30 s); a client that drips bytes is cut off by this, however
 * often it sends one.
 */
export const PACKET_TIMEOUT_MS = 30_000;

/** Longest a graceful stop waits beyond the milter deadline for verdicts in flight. */
export const STOP_GRACE_MS = 5_000;

/** Longest `X-Avfleet-Symbols` value: longer lists end with `...` (a header line stays under 998 bytes). */
export const MAX_SYMBOLS_HEADER_CHARS = 900;

/**
 * Replies written and not yet read by the peer. An MTA reads every reply it waits for; a peer
 * that sends event after event and reads nothing is cut off past this, before its unread
 * replies can pile up in memory.
 */
export const MAX_UNREAD_REPLY_BYTES = 256 * 1024;
