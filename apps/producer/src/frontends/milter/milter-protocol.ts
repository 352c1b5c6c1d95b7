/**
 * The Sendmail 8 milter wire protocol, version 6, as Postfix (src/milter/milter8.c) and
 * Sendmail's libmilter (include/libmilter/mfdef.h) define it: every packet is a 4-byte
 * big-endian length (command byte + data), the command byte, then the data.
 */

/** The protocol version avfleet speaks (Postfix's `milter_protocol = 6`, Sendmail 8.14+). */
export const MILTER_VERSION = 6;

/** Commands from the MTA (SMFIC_*). */
export const SMFIC = {
  ABORT: 'A',
  BODY: 'B',
  CONNECT: 'C',
  MACRO: 'D',
  BODYEOB: 'E',
  HELO: 'H',
  QUIT_NC: 'K',
  HEADER: 'L',
  MAIL: 'M',
  EOH: 'N',
  OPTNEG: 'O',
  QUIT: 'Q',
  RCPT: 'R',
  DATA: 'T',
  UNKNOWN: 'U',
} as const;

/** The replies to the MTA avfleet sends (SMFIR_*): it ends every message with CONTINUE or REPLYCODE. */
export const SMFIR = {
  ADDHEADER: 'h',
  CONTINUE: 'c',
  OPTNEG: 'O',
  REPLYCODE: 'y',
} as const;

/** Actions a milter may take at the end of a message (SMFIF_*): avfleet only adds headers. */
export const SMFIF_ADDHDRS = 0x01;

/** Protocol flags (SMFIP_*): events the MTA need not send, replies the milter will not send. */
export const SMFIP = {
  NOCONNECT: 0x1,
  NOHELO: 0x2,
  NOMAIL: 0x4,
  NORCPT: 0x8,
  NOBODY: 0x10,
  NOHDRS: 0x20,
  NOEOH: 0x40,
  NR_HDR: 0x80,
  NOUNKNOWN: 0x100,
  NODATA: 0x200,
  SKIP: 0x400,
  RCPT_REJ: 0x800,
  NR_CONN: 0x1000,
  NR_HELO: 0x2000,
  NR_MAIL: 0x4000,
  NR_RCPT: 0x8000,
  NR_DATA: 0x10000,
  NR_UNKN: 0x20000,
  NR_EOH: 0x40000,
  NR_BODY: 0x80000,
  HDR_LEADSPC: 0x100000,
} as const;
