import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 26 Crockford base32 characters, time-sortable, safe as a store key and a BullMQ job id. */
export function newScanId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[rnd[i] % 32];
  return time + rand;
}

const SCAN_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export function isScanId(s: string): boolean {
  return SCAN_ID_RE.test(s);
}

/** The time (ms since the epoch) a scan id was made at, or null when it is not a scan id. */
export function scanIdTime(id: string): number | null {
  if (!isScanId(id)) return null;
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + CROCKFORD.indexOf(id[i]);
  return t;
}
