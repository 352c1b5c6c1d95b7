import type { Reservation } from '@avfleet/core';

const CRLF = Buffer.from('\r\n');
const COLON = Buffer.from(':');
const SPACE = Buffer.from(' ');

/** LF not preceded by CR becomes CRLF (the MTA separates the lines of a folded header with LF). */
function lfToCrlf(value: Buffer): Buffer {
  let lone = 0;
  for (let i = 0; i < value.length; i++) if (value[i] === 0x0a && (i === 0 || value[i - 1] !== 0x0d)) lone++;
  if (lone === 0) return value;
  const out = Buffer.allocUnsafe(value.length + lone);
  let j = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] as number;
    if (b === 0x0a && (i === 0 || value[i - 1] !== 0x0d)) out[j++] = 0x0d;
    out[j++] = b;
  }
  return out;
}

/**
 * The message as the MTA passes it, rebuilt: every header as `name:` + value (the value with
 * its leading space when SMFIP_HDR_LEADSPC is in force, else after one space, which the MTA
 * removed) with its folding as CRLF, then CRLF, then the body chunks as sent (Postfix sends
 * body lines with CRLF: milter8_body in src/milter/milter8.c). At most `maxBytes` are kept:
 * past that the message is marked oversize and what it holds is released. Every byte kept is
 * reserved in the producer's in-flight budget first; when the budget is spent the message is
 * marked busy and what it holds is released too. `release()` gives the reservation back.
 */
export class MessageBuilder {
  private headers: Buffer[] = [];
  private body: Buffer[] = [];
  /** Bytes held, counting the empty line between headers and body. */
  private bytes = 2;
  private over = false;
  private refused = false;

  constructor(
    private readonly maxBytes: number,
    private readonly leadingSpace: boolean,
    private readonly reservation: Reservation,
  ) {}

  /** True once the message grew past maxBytes. */
  get oversize(): boolean {
    return this.over;
  }

  /** True once the in-flight budget refused its bytes (AVFLEET_MAX_INFLIGHT_BYTES). */
  get busy(): boolean {
    return this.refused;
  }

  /** Gives the message's bytes back to the in-flight budget (once it is answered or dropped). */
  release(): void {
    this.headers = [];
    this.body = [];
    this.reservation.release();
  }

  addHeader(name: Buffer, value: Buffer): void {
    const v = lfToCrlf(value);
    const line = Buffer.concat(this.leadingSpace ? [name, COLON, v, CRLF] : [name, COLON, SPACE, v, CRLF]);
    if (this.fits(line.length)) this.headers.push(line);
  }

  addBody(chunk: Buffer): void {
    if (chunk.length > 0 && this.fits(chunk.length)) this.body.push(chunk);
  }

  /** The raw message (headers, empty line, body). */
  build(): Buffer {
    return Buffer.concat([...this.headers, CRLF, ...this.body]);
  }

  private fits(n: number): boolean {
    if (this.over || this.refused) return false;
    if (this.bytes + n > this.maxBytes) {
      this.over = true;
      this.release();
      return false;
    }
    if (!this.reservation.take(n)) {
      this.refused = true;
      this.release();
      return false;
    }
    this.bytes += n;
    return true;
  }
}
