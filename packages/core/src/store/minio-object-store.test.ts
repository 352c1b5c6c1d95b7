import { createObjectStore, s3EndpointUrl } from './create-object-store';
import { MinioObjectStore, normalizeKeyPrefix } from './minio-object-store';
import type { ObjectStore } from './object-store';

/** Construction only: no request leaves the process here (the S3 behaviour is in test/integration/object-store.int.test.ts). */

const base = { bucket: 'mail-store', accessKey: 'k', secretKey: 's' };

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('MinioObjectStore settings', () => {
  it('refuses endpoints that are not http(s)://HOST[:PORT], saying what to set', () => {
    for (const endpoint of ['', 'minio:9000', 'ftp://minio', 'http://minio:9000/path', 'not a url']) {
      const err = errorOf(() => new MinioObjectStore({ ...base, endpoint }));
      expect({ endpoint, code: err.code }).toEqual({ endpoint, code: 'AVF_ERR_STORE_UNAVAILABLE' });
      expect(err.message).toContain('AVFLEET_S3_ENDPOINT');
    }
  });

  it('refuses invalid bucket names', () => {
    for (const bucket of ['', 'ab', 'Mail', 'a_b', '-abc', 'a..b', 'x'.repeat(64)]) {
      const err = errorOf(() => new MinioObjectStore({ ...base, bucket, endpoint: 'http://127.0.0.1:9000' }));
      expect({ bucket, code: err.code }).toEqual({ bucket, code: 'AVF_ERR_STORE_UNAVAILABLE' });
    }
  });

  it('normalises the endpoint, region and key prefix', () => {
    const s = new MinioObjectStore({ ...base, endpoint: 'https://S3.example.org/', keyPrefix: 'avfleet' });
    expect(s.kind).toBe('s3');
    expect(s.endpoint).toBe('https://s3.example.org');
    expect(s.region).toBe('us-east-1');
    expect(s.keyPrefix).toBe('avfleet/');
    expect((s as ObjectStore).prune).toBeUndefined();
  });

  it('accepts safe key prefixes only', () => {
    expect(normalizeKeyPrefix(undefined)).toBe('');
    expect(normalizeKeyPrefix('')).toBe('');
    expect(normalizeKeyPrefix('a/b/')).toBe('a/b/');
    expect(normalizeKeyPrefix('a.b_c-d')).toBe('a.b_c-d/');
    for (const p of ['/a', 'a//b', '../a', 'a/../b', 'a b', 'a/./b']) {
      expect({ p, code: errorOf(() => normalizeKeyPrefix(p)).code }).toEqual({ p, code: 'AVF_ERR_STORE_UNAVAILABLE' });
    }
  });
});

describe('createObjectStore for s3', () => {
  it('takes the endpoint as a URL (the brief shape)', () => {
    const s = createObjectStore({ kind: 's3', ...base, endpoint: 'http://127.0.0.1:14568', region: 'eu-west-1' });
    expect(s).toBeInstanceOf(MinioObjectStore);
    expect((s as MinioObjectStore).endpoint).toBe('http://127.0.0.1:14568');
    expect((s as MinioObjectStore).region).toBe('eu-west-1');
  });

  it("takes @avfleet/config's resolved S3StoreSettings (endpointUrl, host, port, useSSL, keyPrefix)", () => {
    const s = createObjectStore({
      kind: 's3',
      bucket: 'mail-store',
      keyPrefix: 'avfleet/',
      endpointUrl: 'http://127.0.0.1:14568',
      endpoint: '127.0.0.1',
      port: 14568,
      useSSL: false,
      accessKey: '',
      secretKey: '',
      region: 'us-east-1',
    }) as MinioObjectStore;
    expect(s.endpoint).toBe('http://127.0.0.1:14568');
    expect(s.keyPrefix).toBe('avfleet/');
  });

  it('builds the endpoint URL from host, port and useSSL when no URL is given', () => {
    expect(s3EndpointUrl({ kind: 's3', ...base, endpoint: 'minio', port: 9000 })).toBe('http://minio:9000');
    expect(s3EndpointUrl({ kind: 's3', ...base, endpoint: 's3.amazonaws.com', useSSL: true })).toBe('https://s3.amazonaws.com');
    expect(s3EndpointUrl({ kind: 's3', ...base, endpoint: '::1', port: 9000 })).toBe('http://[::1]:9000');
    expect(errorOf(() => s3EndpointUrl({ kind: 's3', ...base, endpoint: '' })).message).toContain('AVFLEET_S3_ENDPOINT');
  });
});
