import { FolderObjectStore } from './folder-object-store';
import { MinioObjectStore } from './minio-object-store';
import type { ObjectStore } from './object-store';
import { StoreError } from './store-error';
import type { StoreMode } from './store-mode';

/** A local folder (`--store DIR`, the single-machine default). */
export interface FolderStoreInput {
  readonly kind: 'folder';
  readonly dir: string;
  /** Permissions of what the store creates. @defaultValue `private` */
  readonly mode?: StoreMode;
}

/**
 * An S3 bucket (`--store s3://BUCKET[/PREFIX]` with the AVFLEET_S3_* settings).
 * Accepts a bare shape (`endpoint` a URL) and `@avfleet/config`'s resolved
 * `S3StoreSettings` (`endpointUrl` the URL, `endpoint` the host name, `port`,
 * `useSSL`, `keyPrefix`) alike.
 */
export interface S3StoreInput {
  readonly kind: 's3';
  readonly bucket: string;
  /** AVFLEET_S3_ENDPOINT as a URL (`http://127.0.0.1:9000`), or the bare host name when `endpointUrl` or `port` is given. */
  readonly endpoint: string;
  /** The endpoint URL; wins over `endpoint` when set. */
  readonly endpointUrl?: string;
  readonly port?: number;
  readonly useSSL?: boolean;
  /** From `s3://BUCKET/PREFIX/`; '' or absent for none. */
  readonly keyPrefix?: string;
  /** '' for anonymous requests. */
  readonly accessKey: string;
  readonly secretKey: string;
  /** @defaultValue `us-east-1` */
  readonly region?: string;
  /** Silence allowed before an answer. @defaultValue 5000 */
  readonly requestTimeoutMs?: number;
  /** See MinioObjectStoreOptions.refreshPartsOlderThanMs. @defaultValue null */
  readonly refreshPartsOlderThanMs?: number | null;
}

export type ObjectStoreSettings = FolderStoreInput | S3StoreInput;

/** The endpoint URL of an S3 input, whichever shape it came in. */
export function s3EndpointUrl(s: S3StoreInput): string {
  if (s.endpointUrl) return s.endpointUrl;
  if (!s.endpoint) {
    throw new StoreError(
      'AVF_ERR_STORE_UNAVAILABLE',
      `store s3://${s.bucket} needs an endpoint: set AVFLEET_S3_ENDPOINT (e.g. http://minio:9000)`,
    );
  }
  if (s.endpoint.includes('://')) return s.endpoint;
  const host = s.endpoint.includes(':') && !s.endpoint.startsWith('[') ? `[${s.endpoint}]` : s.endpoint;
  return `${s.useSSL ? 'https' : 'http'}://${host}${s.port ? `:${s.port}` : ''}`;
}

/** The store the settings describe: the only place that picks a backend. */
export function createObjectStore(settings: ObjectStoreSettings): ObjectStore {
  switch (settings.kind) {
    case 'folder':
      return new FolderObjectStore(settings.dir, { mode: settings.mode });
    case 's3':
      return new MinioObjectStore({
        bucket: settings.bucket,
        endpoint: s3EndpointUrl(settings),
        accessKey: settings.accessKey,
        secretKey: settings.secretKey,
        region: settings.region,
        keyPrefix: settings.keyPrefix,
        requestTimeoutMs: settings.requestTimeoutMs,
        refreshPartsOlderThanMs: settings.refreshPartsOlderThanMs,
      });
    default: {
      const kind: never = settings;
      throw new StoreError(
        'AVF_ERR_STORE_UNAVAILABLE',
        `unknown store kind ${JSON.stringify((kind as { kind?: unknown }).kind)}: use a folder or s3://BUCKET`,
      );
    }
  }
}
