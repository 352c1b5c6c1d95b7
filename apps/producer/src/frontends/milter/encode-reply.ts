import { SMFIR } from './milter-protocol';

/** One reply packet: 4-byte big-endian length (command byte + data), the command byte, the data. */
export function encodePacket(command: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(5 + data.length);
  out.writeUInt32BE(1 + data.length, 0);
  out.write(command, 4, 'latin1');
  data.copy(out, 5);
  return out;
}

const nulTerminated = (...parts: string[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(`${p}\0`, 'utf8')));

/** SMFIR_OPTNEG: the version, the actions and the protocol flags the milter settles on. */
export function optnegReply(version: number, actions: number, protocol: number): Buffer {
  const data = Buffer.alloc(12);
  data.writeUInt32BE(version, 0);
  data.writeUInt32BE(actions, 4);
  data.writeUInt32BE(protocol, 8);
  return encodePacket(SMFIR.OPTNEG, data);
}

export const continueReply = (): Buffer => encodePacket(SMFIR.CONTINUE);

/** SMFIR_REPLYCODE: an SMTP reply such as `550 5.7.1 text` (the caller sanitises the text). */
export const replyCodeReply = (reply: string): Buffer => encodePacket(SMFIR.REPLYCODE, nulTerminated(reply));

/** SMFIR_ADDHEADER: a header appended to the message (value exactly as it goes after the colon). */
export const addHeaderReply = (name: string, value: string): Buffer => encodePacket(SMFIR.ADDHEADER, nulTerminated(name, value));
