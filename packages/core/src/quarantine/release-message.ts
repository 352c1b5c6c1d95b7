import nodemailer from 'nodemailer';
import type { HostPort } from '@avfleet/config';
import type { QuarantineEntry } from './quarantine-entry';

/** Bounds of one release: connecting, the greeting, and any silence after. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 60_000;

/** What the relay accepted. */
export interface Delivery {
  readonly accepted: readonly string[];
  readonly response: string;
}

/** Sends a message to the relay with the given envelope (core/quarantine/quarantine.ts calls it; tests swap it). */
export type SendRaw = (relay: HostPort, envelope: { readonly from: string; readonly to: readonly string[] }, raw: Buffer) => Promise<Delivery>;

/**
 * The raw message with `X-Avfleet-Released` on top, in the message's own line ending
 * (the first line break it has: CRLF or LF), so the bytes below it are what was submitted.
 */
export function withReleasedHeader(raw: Buffer, value: string): Buffer {
  const lf = raw.indexOf(0x0a);
  const eol = lf > 0 && raw[lf - 1] === 0x0d ? '\r\n' : lf === -1 ? '\r\n' : '\n';
  return Buffer.concat([Buffer.from(`X-Avfleet-Released: ${value.replace(/[\r\n]+/g, ' ')}${eol}`, 'utf8'), raw]);
}

/** The header's value: when, by whom (a token id), which quarantined scan. */
export function releasedHeaderValue(entry: Pick<QuarantineEntry, 'id'>, by: string, at: Date): string {
  return `${at.toISOString()} by ${by}; scan ${entry.id}`;
}

/** nodemailer's SMTP transport, one connection per release (releases are rare; no pool to keep open). */
export const sendOverSmtp: SendRaw = async (relay, envelope, raw) => {
  const transport = nodemailer.createTransport({
    host: relay.host, port: relay.port, secure: false,
    connectionTimeout: CONNECT_TIMEOUT_MS, greetingTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail({ envelope: { from: envelope.from, to: [...envelope.to] }, raw });
    return { accepted: info.accepted.map(String), response: info.response };
  } finally {
    transport.close();
  }
};
