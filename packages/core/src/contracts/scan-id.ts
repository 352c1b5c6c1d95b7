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
