import { createHash } from 'node:crypto';
import { assertDigestMatches, assertPartDigest, messageKey, parseObjectKey, partKey } from './part-key';
import { isStoreError, StoreError } from './store-error';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as StoreError).code;
  }
  return undefined;
}

describe('messageKey', () => {
  it('pads month and day and takes the UTC date', () => {
    expect(messageKey('abc', new Date('2024-01-02T03:04:05Z'))).toBe('messages/2024/01/02/abc.eml');
    expect(messageKey('abc', new Date('2024-12-31T22:00:00-05:00'))).toBe('messages/2025/01/01/abc.eml');
    expect(messageKey('A_b-9', new Date('0999-07-09T00:00:00Z'))).toBe('messages/0999/07/09/A_b-9.eml');
  });

  it('refuses unsafe ids and invalid dates', () => {
    for (const id of ['', '.', '..', '../x', 'a/b', 'a.eml', 'a\0', 'x'.repeat(65)]) {
      expect({ id, code: codeOf(() => messageKey(id, new Date())) }).toEqual({ id, code: 'AVF_ERR_STORE_INVALID_KEY' });
    }
    expect(codeOf(() => messageKey('x'.repeat(64), new Date()))).toBeUndefined();
    expect(codeOf(() => messageKey('abc', new Date('not a date')))).toBe('AVF_ERR_STORE_INVALID_KEY');
  });
});

describe('partKey and parseObjectKey', () => {
  const d = sha('hello');

  it('builds parts/<sha256> and parses both key shapes back', () => {
    expect(partKey(d)).toBe(`parts/${d}`);
    expect(parseObjectKey(`parts/${d}`)).toEqual({ kind: 'part', key: `parts/${d}`, sha256: d });
    const mk = messageKey('01JD3K8V6Q', new Date('2024-03-06T00:00:00Z'));
    expect(parseObjectKey(mk)).toEqual({ kind: 'message', key: mk, id: '01JD3K8V6Q', year: '2024', month: '03', day: '06' });
  });

  it('refuses digests that are not 64 lowercase hex', () => {
    for (const s of ['', d.toUpperCase(), d.slice(1), `${d}a`, `${d.slice(2)}..`, `../${d.slice(3)}`]) {
      expect(codeOf(() => partKey(s))).toBe('AVF_ERR_STORE_INVALID_KEY');
    }
  });

  it('refuses other key shapes with a StoreError that names the key', () => {
    for (const k of ['parts/', `parts/${d}/x`, 'messages/2024/00/01/a.eml', 'messages/2024/01/32/a.eml', 'messages/24/01/01/a.eml']) {
      let err: unknown;
      try {
        parseObjectKey(k);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreError);
      expect(isStoreError(err, 'AVF_ERR_STORE_INVALID_KEY')).toBe(true);
      expect((err as StoreError).message).toContain(JSON.stringify(k));
    }
  });
});

describe('assertDigestMatches', () => {
  it('accepts the bytes of the digest and refuses others', () => {
    expect(() => assertDigestMatches(sha('a'), Buffer.from('a'))).not.toThrow();
    expect(codeOf(() => assertDigestMatches(sha('a'), Buffer.from('b')))).toBe('AVF_ERR_STORE_INVALID_KEY');
  });
});

describe('assertPartDigest', () => {
  it('hashes the bytes unless the caller says it did, and always refuses a malformed digest', () => {
    expect(codeOf(() => assertPartDigest(sha('a'), Buffer.from('b')))).toBe('AVF_ERR_STORE_INVALID_KEY');
    expect(codeOf(() => assertPartDigest(sha('a'), Buffer.from('b'), { digestFromData: false }))).toBe('AVF_ERR_STORE_INVALID_KEY');
    expect(() => assertPartDigest(sha('a'), Buffer.from('a'))).not.toThrow();
    // The caller's word is taken: no second hash of the same bytes.
    expect(() => assertPartDigest(sha('a'), Buffer.from('b'), { digestFromData: true })).not.toThrow();
    expect(codeOf(() => assertPartDigest('ABC', Buffer.from('a'), { digestFromData: true }))).toBe('AVF_ERR_STORE_INVALID_KEY');
  });
});

describe('isStoreError', () => {
  it('recognises store errors by code, also after a JSON round trip', () => {
    const e = new StoreError('AVF_ERR_STORE_NOT_FOUND', 'gone', { key: 'parts/x' });
    expect(isStoreError(e)).toBe(true);
    expect(isStoreError(JSON.parse(JSON.stringify({ code: e.code })), 'AVF_ERR_STORE_NOT_FOUND')).toBe(true);
    expect(isStoreError(e, 'AVF_ERR_STORE_UNAVAILABLE')).toBe(false);
    expect(isStoreError(new Error('x'))).toBe(false);
    expect(e.key).toBe('parts/x');
  });
});
