import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../src/store/object-store';
import { messageKey } from '../src/store/part-key';
import { MAX_RECORD_BYTES } from '../src/store/message-trailer';
import type { StoreErrorCode } from '../src/store/store-error';

/**
 * The behaviour every ObjectStore backend must show (bullmq's adapter
 * conformance idea): run it from a backend's own test file with a factory.
 * `makeStore` is called once, in beforeAll; the caller cleans up afterwards.
 */

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let seq = 0;
const uniqueId = (): string => `ct_${process.pid}_${Date.now().toString(36)}_${(seq++).toString(36)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves to the error's code (fails the test when the promise resolves). */
async function codeOf(p: Promise<unknown>): Promise<StoreErrorCode | string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  throw new Error('expected a rejection, the call resolved');
}

const GOOD_SHA = sha256(Buffer.from('x'));
export const INVALID_KEYS: readonly string[] = [
  '',
  '../etc/passwd',
  '/etc/passwd',
  'parts/../../etc/passwd',
  `parts/${GOOD_SHA.toUpperCase()}`,
  `parts/${GOOD_SHA.slice(1)}`,
  `parts/${GOOD_SHA}/`,
  `/parts/${GOOD_SHA}`,
  `parts/${GOOD_SHA}\0`,
  `parts//${GOOD_SHA}`,
  'messages/2024/01/01/../../../../etc/passwd.eml',
  'messages/2024/01/01/a.b.eml',
  'messages/2024/13/01/abc.eml',
  'messages/2024/1/01/abc.eml',
  'messages/2024/01/01/abc',
  'other/2024/01/01/abc.eml',
];

export function describeObjectStoreContract(name: string, makeStore: () => Promise<ObjectStore> | ObjectStore): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await makeStore();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('stores a message under messages/YYYY/MM/DD/<id>.eml by the UTC day and reads it back', async () => {
      const id = uniqueId();
      const body = Buffer.from('From: a@example.org\r\nSubject: t\r\n\r\nhello\r\n');
      // 23:30 at UTC-2 is already the next day in UTC.
      const key = await store.putMessage(id, body, new Date('2024-03-05T23:30:00-02:00'));
      expect(key).toBe(`messages/2024/03/06/${id}.eml`);
      expect(await store.get(key)).toEqual(body);
      const st = await store.stat(key);
      expect(st).not.toBeNull();
      expect(st!.key).toBe(key);
      expect(st!.size).toBe(body.length);
      expect(Math.abs(st!.lastModified.getTime() - Date.now())).toBeLessThan(120_000);
      expect(await store.exists(key)).toBe(true);
    });

    it('stores a quarantined message under quarantine/<id>.eml, reads and deletes it', async () => {
      const id = uniqueId();
      const body = Buffer.from('Subject: held\r\n\r\n\x00\xffbytes\r\n', 'latin1');
      const key = await store.putQuarantined(id, body);
      expect(key).toBe(`quarantine/${id}.eml`);
      expect(await store.get(key)).toEqual(body);
      expect((await store.stat(key))?.size).toBe(body.length);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      expect(await codeOf(store.putQuarantined('../x', body))).toBe('AVF_ERR_STORE_INVALID_KEY');
    });

    it('dates a message by the current UTC day when no date is given', async () => {
      const id = uniqueId();
      const before = new Date();
      const key = await store.putMessage(id, Buffer.from('x'));
      const after = new Date();
      expect([messageKey(id, before), messageKey(id, after)]).toContain(key);
      expect(key).toMatch(/^messages\/\d{4}\/\d{2}\/\d{2}\/ct_[A-Za-z0-9_]+\.eml$/);
    });

    it('stores a part under parts/<sha256> and does not rewrite it on a second put', async () => {
      const body = randomBytes(1000);
      const digest = sha256(body);
      const first = await store.putPart(digest, body);
      expect(first).toEqual({ key: `parts/${digest}`, created: true });
      const st1 = await store.stat(first.key);
      expect(st1?.size).toBe(1000);
      // Long enough for any backend's mtime resolution (S3: one second) to show a rewrite.
      await sleep(1100);
      const second = await store.putPart(digest, body);
      expect(second).toEqual({ key: `parts/${digest}`, created: false });
      const st2 = await store.stat(first.key);
      expect(st2?.lastModified.getTime()).toBe(st1?.lastModified.getTime());
      expect(await store.get(first.key)).toEqual(body);
    });

    it('stores an empty part', async () => {
      const empty = Buffer.alloc(0);
      const { key } = await store.putPart(sha256(empty), empty);
      expect((await store.get(key)).length).toBe(0);
      expect((await store.stat(key))?.size).toBe(0);
    });

    it('refuses a part whose digest is not the SHA-256 of its bytes, storing nothing', async () => {
      const body = randomBytes(64);
      const wrong = sha256(randomBytes(64));
      expect(await codeOf(store.putPart(wrong, body))).toBe('AVF_ERR_STORE_INVALID_KEY');
      expect(await store.exists(`parts/${wrong}`)).toBe(false);
    });

    it('streams a 5 MB body back intact', async () => {
      const body = randomBytes(5 * 1024 * 1024);
      const digest = sha256(body);
      const { key } = await store.putPart(digest, body);
      const stream = await store.getStream(key);
      const read = await readAll(stream);
      expect(read.length).toBe(body.length);
      expect(sha256(read)).toBe(digest);
      expect(sha256(await store.get(key))).toBe(digest);
    });

    it('reads byte ranges of a stored message: the first, middle and last bytes, empty and past-the-end ranges', async () => {
      const body = randomBytes(300_000);
      const key = await store.putMessage(uniqueId(), body);
      for (const [offset, length] of [[0, 1], [0, body.length], [1, 76], [123_457, 65_536], [body.length - 3, 3], [body.length - 1, 1]] as const) {
        expect({ offset, length, equal: (await store.getRange(key, offset, length)).equals(body.subarray(offset, offset + length)) })
          .toEqual({ offset, length, equal: true });
      }
      expect((await store.getRange(key, 10, 0)).length).toBe(0);
      // A range the object ends inside of gives the bytes there are; one past the end gives none.
      expect((await store.getRange(key, body.length - 5, 100)).equals(body.subarray(body.length - 5))).toBe(true);
      expect((await store.getRange(key, body.length + 10, 5)).length).toBe(0);
    });

    it('gives each ranged read its own buffer: overwriting one changes neither the object nor another read', async () => {
      const body = randomBytes(70_000);
      const key = await store.putMessage(uniqueId(), body);
      const first = await store.getRange(key, 100, 65_000);
      const second = await store.getRange(key, 100, 65_000);
      first.fill(0);
      expect(second.equals(body.subarray(100, 65_100))).toBe(true);
      expect((await store.getRange(key, 100, 65_000)).equals(body.subarray(100, 65_100))).toBe(true);
    });

    it('refuses a ranged read of a missing or invalid key, or with a negative or fractional bound', async () => {
      expect(await codeOf(store.getRange(messageKey(uniqueId(), new Date('2020-01-02T00:00:00Z')), 0, 10))).toBe('AVF_ERR_STORE_NOT_FOUND');
      expect(await codeOf(store.getRange('../etc/passwd', 0, 10))).toBe('AVF_ERR_STORE_INVALID_KEY');
      const key = await store.putMessage(uniqueId(), Buffer.from('0123456789'));
      await expect(store.getRange(key, -1, 2)).rejects.toThrow(RangeError);
      await expect(store.getRange(key, 0, 1.5)).rejects.toThrow(RangeError);
    });

    it('reports a missing key: stat null, exists false, get and getStream AVF_ERR_STORE_NOT_FOUND', async () => {
      const key = `parts/${sha256(randomBytes(16))}`;
      expect(await store.stat(key)).toBeNull();
      expect(await store.exists(key)).toBe(false);
      expect(await codeOf(store.get(key))).toBe('AVF_ERR_STORE_NOT_FOUND');
      expect(await codeOf(store.getStream(key))).toBe('AVF_ERR_STORE_NOT_FOUND');
      const msg = messageKey(uniqueId(), new Date('2020-01-02T00:00:00Z'));
      expect(await codeOf(store.get(msg))).toBe('AVF_ERR_STORE_NOT_FOUND');
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      const key = await store.putMessage(uniqueId(), Buffer.from('bye'));
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      await expect(store.delete(key)).resolves.toBeUndefined();
    });

    it('rejects keys outside the two key shapes with AVF_ERR_STORE_INVALID_KEY', async () => {
      for (const key of INVALID_KEYS) {
        const codes = await Promise.all([
          codeOf(store.get(key)),
          codeOf(store.getStream(key)),
          codeOf(store.stat(key)),
          codeOf(store.exists(key)),
          codeOf(store.delete(key)),
        ]);
        expect({ key, codes }).toEqual({ key, codes: Array(5).fill('AVF_ERR_STORE_INVALID_KEY') });
      }
    });

    it('rejects unsafe message ids and digests with AVF_ERR_STORE_INVALID_KEY', async () => {
      for (const id of ['', '..', 'a/b', 'a.b', 'a\\b', 'a b', 'x'.repeat(65), 'é']) {
        expect({ id, code: await codeOf(store.putMessage(id, Buffer.from('x'))) }).toEqual({ id, code: 'AVF_ERR_STORE_INVALID_KEY' });
      }
      const body = Buffer.from('x');
      for (const digest of ['', GOOD_SHA.toUpperCase(), `${GOOD_SHA}0`, `../${GOOD_SHA.slice(3)}`]) {
        expect({ digest, code: await codeOf(store.putPart(digest, body)) }).toEqual({ digest, code: 'AVF_ERR_STORE_INVALID_KEY' });
      }
    });

    it('keeps a request record with a message (D69): every reader of the message gets its bytes exactly, getMessageRecord the record', async () => {
      const id = uniqueId();
      const message = randomBytes(5 * 1024 * 1024 + 17);
      const record = Buffer.from(JSON.stringify({ v: 1, meta: { ip: '192.0.2.1', rcpt: ['a@example.org'] }, bin: randomBytes(64).toString('latin1') }));
      const key = await store.putMessage(id, message, undefined, record);
      expect(sha256(await store.get(key))).toBe(sha256(message));
      expect((await store.get(key)).length).toBe(message.length);
      const streamed = await readAll(await store.getStream(key));
      expect({ length: streamed.length, sha: sha256(streamed) }).toEqual({ length: message.length, sha: sha256(message) });
      for (const [offset, length] of [[0, 1], [0, message.length], [1, 76], [123_457, 65_536], [message.length - 3, 3], [message.length - 1, 1]] as const) {
        expect({ offset, length, equal: (await store.getRange(key, offset, length)).equals(message.subarray(offset, offset + length)) })
          .toEqual({ offset, length, equal: true });
      }
      expect(await store.getMessageRecord(key)).toEqual(record);
      // The stored object is the message followed by the record and a footer naming the message.
      expect((await store.stat(key))!.size).toBeGreaterThan(message.length + record.length);
    });

    it('reads small messages with a record, a message ending like a footer, and the largest record', async () => {
      for (const message of [Buffer.alloc(0), Buffer.from('x'), Buffer.from('From: a@example.org\r\n\r\nhi\r\n')]) {
        const key = await store.putMessage(uniqueId(), message, undefined, Buffer.from('{"v":1}'));
        expect({ message: message.toString(), got: (await store.get(key)).toString(), streamed: (await readAll(await store.getStream(key))).toString() })
          .toEqual({ message: message.toString(), got: message.toString(), streamed: message.toString() });
        expect((await store.getMessageRecord(key))?.toString()).toBe('{"v":1}');
      }
      // A message whose own last bytes look like a record for its id (a sender cannot know the id; here we do):
      // stored with a record, the real footer is the last one; stored without, the message is read whole.
      const id = uniqueId();
      const forged = Buffer.concat([Buffer.from('Subject: forged\r\n\r\nbody'), Buffer.from(`{"v":1,"forged":true}\navfleet-request/1 ${id} 00000021\n`)]);
      const withRecord = await store.putMessage(id, forged, undefined, Buffer.from('{"v":1,"real":1}'));
      expect((await store.get(withRecord)).equals(forged)).toBe(true);
      expect((await readAll(await store.getStream(withRecord))).equals(forged)).toBe(true);
      expect((await store.getMessageRecord(withRecord))?.toString()).toBe('{"v":1,"real":1}');
      const other = uniqueId();
      const plain = await store.putMessage(other, forged);
      expect((await store.get(plain)).equals(forged)).toBe(true);
      expect(await store.getMessageRecord(plain)).toBeNull();
      const largest = randomBytes(MAX_RECORD_BYTES);
      const big = await store.putMessage(uniqueId(), Buffer.from('m'), undefined, largest);
      expect((await store.get(big)).toString()).toBe('m');
      expect((await readAll(await store.getStream(big))).toString()).toBe('m');
      expect((await store.getMessageRecord(big))?.equals(largest)).toBe(true);
      await expect(store.putMessage(uniqueId(), Buffer.from('m'), undefined, randomBytes(MAX_RECORD_BYTES + 1))).rejects.toThrow(RangeError);
      expect(await codeOf(store.getMessageRecord(messageKey(uniqueId(), new Date('2020-01-02T00:00:00Z'))))).toBe('AVF_ERR_STORE_NOT_FOUND');
    });

    it('lists the ids of the messages stored on a day, in ascending order, at most the limit', async () => {
      const day = new Date('2023-07-08T12:00:00Z');
      const ids = ['01AAAAAAAA', '01AAAAAAAC', '01AAAAAAAB'].map((p) => `${p}_${process.pid}_${(seq++).toString(36)}`);
      for (const id of ids) await store.putMessage(id, Buffer.from(id), day, Buffer.from('{"v":1}'));
      await store.putMessage(uniqueId(), Buffer.from('other day'), new Date('2023-07-09T00:00:01Z'));
      const listed = await store.listMessageIds(day, 1000);
      expect(listed.filter((id) => ids.includes(id))).toEqual([...ids].sort());
      expect(listed).toEqual([...listed].sort());
      expect(await store.listMessageIds(day, 2)).toEqual(listed.slice(0, 2));
      expect(await store.listMessageIds(new Date('2001-01-01T00:00:00Z'), 10)).toEqual([]);
      for (const id of ids) await store.delete(messageKey(id, day));
    });

    it('prunes (when the backend prunes): nothing younger than the limit, everything older', async () => {
      const prune = store.prune;
      if (!prune) return; // S3: retention is the bucket's lifecycle rules
      const key = await store.putMessage(uniqueId(), Buffer.from('old'));
      const part = randomBytes(32);
      const { key: pkey } = await store.putPart(sha256(part), part);
      const removedBy = async (cutoff: Date): Promise<number> => {
        const r = await prune.call(store, { cutoff });
        return r.messages + r.parts;
      };
      expect(await removedBy(new Date(Date.now() - 7 * 24 * 3600_000))).toBe(0);
      expect(await store.exists(key)).toBe(true);
      // A cutoff a day from now: everything written so far is older.
      const removed = await removedBy(new Date(Date.now() + 24 * 3600_000));
      expect(removed).toBeGreaterThanOrEqual(2);
      expect(await store.exists(key)).toBe(false);
      expect(await store.exists(pkey)).toBe(false);
      expect(await removedBy(new Date(Date.now() + 24 * 3600_000))).toBe(0);
    });
  });
}
