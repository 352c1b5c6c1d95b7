import { MilterError } from './milter-error';
import { SMFIC } from './milter-protocol';
import type { MilterPacket } from './packet-reader';

/** The address family of SMFIC_CONNECT (SMFIA_*: '4', '6', 'L' unix, 'U' unknown). */
export type ConnectFamily = 'inet4' | 'inet6' | 'unix' | 'unknown';

/** One command from the MTA, decoded (Postfix src/milter/milter8.c, libmilter engine.c). */
export type MilterCommand =
  | { readonly kind: 'optneg'; readonly version: number; readonly actions: number; readonly protocol: number }
  | { readonly kind: 'macro'; readonly forCommand: string; readonly macros: ReadonlyMap<string, string> }
  | { readonly kind: 'connect'; readonly hostname: string; readonly family: ConnectFamily; readonly port: number | null; readonly address: string | null }
  | { readonly kind: 'helo'; readonly name: string }
  | { readonly kind: 'mail'; readonly args: readonly string[] }
  | { readonly kind: 'rcpt'; readonly args: readonly string[] }
  | { readonly kind: 'data' }
  /** Name and value as bytes: the value keeps the MTA's folding (lines separated by LF). */
  | { readonly kind: 'header'; readonly name: Buffer; readonly value: Buffer }
  | { readonly kind: 'eoh' }
  | { readonly kind: 'body'; readonly chunk: Buffer }
  /** End of message; Sendmail may carry a last body chunk here (Postfix never does). */
  | { readonly kind: 'eob'; readonly chunk: Buffer }
  | { readonly kind: 'abort' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'quit_nc' }
  | { readonly kind: 'unknown'; readonly line: string };

const FAMILIES: Readonly<Record<string, ConnectFamily>> = { '4': 'inet4', '6': 'inet6', L: 'unix', U: 'unknown' };

function malformed(what: string): MilterError {
  return new MilterError('AVF_ERR_MILTER_PROTOCOL', `malformed milter ${what} packet; closing the connection (the peer must speak milter protocol 6)`);
}

/** NUL-terminated strings; every one must end with its NUL. */
function nulStrings(data: Buffer, what: string): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(0, start);
    if (end < 0) throw malformed(what);
    out.push(data.subarray(start, end));
    start = end + 1;
  }
  return out;
}

function exactly(data: Buffer, n: number, what: string): Buffer[] {
  const parts = nulStrings(data, what);
  if (parts.length !== n) throw malformed(what);
  return parts;
}

const text = (b: Buffer): string => b.toString('utf8');

/** A packet as a typed command; an unknown command byte or a malformed packet throws AVF_ERR_MILTER_PROTOCOL. */
export function decodeCommand({ command, data }: MilterPacket): MilterCommand {
  switch (command) {
    case SMFIC.OPTNEG:
      if (data.length < 12) throw malformed('option negotiation');
      return { kind: 'optneg', version: data.readUInt32BE(0), actions: data.readUInt32BE(4), protocol: data.readUInt32BE(8) };
    case SMFIC.MACRO: {
      if (data.length < 1) throw malformed('macro');
      const parts = nulStrings(data.subarray(1), 'macro');
      if (parts.length % 2 !== 0) throw malformed('macro');
      const macros = new Map<string, string>();
      for (let i = 0; i < parts.length; i += 2) macros.set(text(parts[i] as Buffer), text(parts[i + 1] as Buffer));
      return { kind: 'macro', forCommand: String.fromCharCode(data[0] as number), macros };
    }
    case SMFIC.CONNECT: {
      const nul = data.indexOf(0);
      if (nul < 0 || nul + 1 >= data.length) throw malformed('connect');
      const hostname = text(data.subarray(0, nul));
      const family = FAMILIES[String.fromCharCode(data[nul + 1] as number)];
      if (family === undefined) throw malformed('connect');
      if (family === 'unknown') return { kind: 'connect', hostname, family, port: null, address: null };
      const rest = data.subarray(nul + 2);
      if (rest.length < 2) throw malformed('connect');
      const [address] = exactly(rest.subarray(2), 1, 'connect');
      return { kind: 'connect', hostname, family, port: rest.readUInt16BE(0), address: text(address as Buffer) };
    }
    case SMFIC.HELO:
      return { kind: 'helo', name: text(exactly(data, 1, 'HELO')[0] as Buffer) };
    case SMFIC.MAIL:
    case SMFIC.RCPT: {
      const args = nulStrings(data, command === SMFIC.MAIL ? 'MAIL' : 'RCPT').map(text);
      if (args.length < 1) throw malformed(command === SMFIC.MAIL ? 'MAIL' : 'RCPT');
      return { kind: command === SMFIC.MAIL ? 'mail' : 'rcpt', args };
    }
    case SMFIC.DATA:
      return { kind: 'data' };
    case SMFIC.HEADER: {
      const [name, value] = exactly(data, 2, 'header');
      if ((name as Buffer).length === 0) throw malformed('header');
      return { kind: 'header', name: name as Buffer, value: value as Buffer };
    }
    case SMFIC.EOH:
      return { kind: 'eoh' };
    case SMFIC.BODY:
      return { kind: 'body', chunk: data };
    case SMFIC.BODYEOB:
      return { kind: 'eob', chunk: data };
    case SMFIC.ABORT:
      return { kind: 'abort' };
    case SMFIC.QUIT:
      return { kind: 'quit' };
    case SMFIC.QUIT_NC:
      return { kind: 'quit_nc' };
    case SMFIC.UNKNOWN:
      return { kind: 'unknown', line: data.length > 0 && data[data.length - 1] === 0 ? text(data.subarray(0, -1)) : text(data) };
    default:
      throw new MilterError('AVF_ERR_MILTER_PROTOCOL', `unknown milter command 0x${command.charCodeAt(0).toString(16).padStart(2, '0')}; closing the connection (the peer must speak milter protocol 6)`);
  }
}
