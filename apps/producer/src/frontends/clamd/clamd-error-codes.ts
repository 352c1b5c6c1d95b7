/** The clamd front end's own codes (docs/errors.md, "clamd protocol"): in reply lines and log lines. */
export type ClamdErrorCode =
  /** reply: no verdict within AVFLEET_CLAMD_DEADLINE. */
  | 'AVF_ERR_CLAMD_DEADLINE'
  /** reply: a path scan was refused. */
  | 'AVF_ERR_CLAMD_PATH_SCAN'
  /** reply: the streams of all connections hold the whole budget; retry. */
  | 'AVF_ERR_CLAMD_BUSY'
  /** reply: too many commands in one IDSESSION. */
  | 'AVF_ERR_CLAMD_SESSION_LIMIT'
  /** log: a command line too long without its terminator. */
  | 'AVF_ERR_CLAMD_PROTOCOL'
  /** log: idle, or a request too slow to arrive. */
  | 'AVF_ERR_CLAMD_TIMEOUT'
  /** log: over the connection limit. */
  | 'AVF_ERR_CLAMD_CONNECTIONS'
  /** start-up: the address cannot be bound. */
  | 'AVF_ERR_CLAMD_LISTEN';

/** `<code>: <text>`, the form reply texts carry a code in. */
export const withCode = (code: ClamdErrorCode, text: string): string => `${code}: ${text}`;
