import { repoTmpPath } from './repo-root';

/** Fixed addresses of the integration-test services (distinct from the distro's 3310/1344). */
export const TEST_CLAMD_PORT = 13310;
export const TEST_ICAP_PORT = 11344;
export const TEST_S3_PORT = 14568;
export const TEST_HOST = '127.0.0.1';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379/0';

/** Names of the environment variables global-setup.ts sets for the integration tests. */
export const TEST_ENV = Object.freeze({
  clamd: 'AVFLEET_TEST_CLAMD',
  clamdSocket: 'AVFLEET_TEST_CLAMD_SOCKET',
  icap: 'AVFLEET_TEST_ICAP',
  s3Endpoint: 'AVFLEET_TEST_S3_ENDPOINT',
  redisUrl: 'AVFLEET_TEST_REDIS_URL',
});

/** Where the integration-test services listen, as seen by a test. */
export interface TestServices {
  /** clamd TCP address. */
  clamd: { host: string; port: number };
  /** clamd unix socket path. */
  clamdSocket: string;
  /** icap://127.0.0.1:11344/virus_scan */
  icapUrl: string;
  /** http://127.0.0.1:14568 (anonymous s3rver, path-style). */
  s3Endpoint: string;
  redisUrl: string;
}

/** Default clamd folder and socket under `<repo>/.tmp/clamd`. */
export function testClamdDir(): string {
  return repoTmpPath('clamd');
}

/** Reads the service addresses from the environment set up by global-setup.ts
 *  (falls back to the fixed defaults, so a test can also be run against services
 *  started by hand). */
export function testServices(env: NodeJS.ProcessEnv = process.env): TestServices {
  const [host = TEST_HOST, port = String(TEST_CLAMD_PORT)] = (env[TEST_ENV.clamd] ?? '').split(':').filter(Boolean);
  return {
    clamd: { host, port: Number(port) },
    clamdSocket: env[TEST_ENV.clamdSocket] ?? `${testClamdDir()}/clamd.sock`,
    icapUrl: env[TEST_ENV.icap] ?? `icap://${TEST_HOST}:${TEST_ICAP_PORT}/virus_scan`,
    s3Endpoint: env[TEST_ENV.s3Endpoint] ?? `http://${TEST_HOST}:${TEST_S3_PORT}`,
    redisUrl: env[TEST_ENV.redisUrl] ?? DEFAULT_TEST_REDIS_URL,
  };
}
