import { CodedError } from '@avfleet/scanners';

/** Why the milter front end closed a connection or could not start (docs/errors.md "Milter"). */
export type MilterErrorCode =
  /** The peer broke the milter protocol (bad length, unknown or malformed command): its connection is closed. */
  | 'AVF_ERR_MILTER_PROTOCOL'
  /** --milter-listen cannot be listened on (address in use, socket path not writable or in use). */
  | 'AVF_ERR_MILTER_LISTEN';

/** A milter failure with a stable code. Branch on `code`, never on the message. */
export class MilterError extends CodedError<MilterErrorCode> {
  override readonly name = 'MilterError';
}
