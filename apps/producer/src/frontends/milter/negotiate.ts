import { MilterError } from './milter-error';
import { MILTER_VERSION, SMFIF_ADDHDRS, SMFIP } from './milter-protocol';

/** What both sides settled on in SMFIC_OPTNEG. */
export interface Negotiated {
  readonly version: number;
  /** SMFIF_* the milter may use (SMFIF_ADDHDRS or nothing). */
  readonly actions: number;
  /** SMFIP_* in force: events the MTA leaves out, replies the milter leaves out, header leading space. */
  readonly protocol: number;
}

/**
 * The protocol flags avfleet asks for: no SMTP DATA or unknown-command events (it needs
 * neither), no reply to any event but the end of the message (it decides only there), and
 * header values with their leading space, so the header block is rebuilt byte for byte.
 */
const WANTED =
  SMFIP.NOUNKNOWN | SMFIP.NODATA |
  SMFIP.NR_CONN | SMFIP.NR_HELO | SMFIP.NR_MAIL | SMFIP.NR_RCPT | SMFIP.NR_DATA | SMFIP.NR_UNKN |
  SMFIP.NR_HDR | SMFIP.NR_EOH | SMFIP.NR_BODY | SMFIP.HDR_LEADSPC;

/**
 * Settles the options as libmilter does: the lower version, and of the flags and actions
 * only those the MTA offered (Postfix offers per its milter_protocol: version 6 offers every
 * flag above, older versions fewer, and then avfleet replies to what it must).
 */
export function negotiate(mta: { version: number; actions: number; protocol: number }, addHeaders: boolean): Negotiated {
  if (mta.version < 2) {
    throw new MilterError('AVF_ERR_MILTER_PROTOCOL', `the MTA offers milter protocol version ${mta.version}; avfleet needs 2 to 6 (Postfix: milter_protocol = 6)`);
  }
  return {
    version: Math.min(mta.version, MILTER_VERSION),
    actions: addHeaders ? mta.actions & SMFIF_ADDHDRS : 0,
    protocol: mta.protocol & WANTED,
  };
}
