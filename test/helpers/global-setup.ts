import Redis from 'ioredis';
import { join } from 'node:path';
import { repoTmpPath } from './repo-root';
import { stopTestServices } from './global-teardown';
import {
  addServiceUser,
  readServiceState,
  removeServiceUser,
  withServicesLock,
  writeServiceState,
  type ServiceState,
} from './service-registry';
import { clamdPing, icapOptions } from './service-probes';
import { startCicap } from './start-cicap';
import { startClamd } from './start-clamd';
import { s3Answers, startS3rver } from './start-s3rver';
import {
  DEFAULT_TEST_REDIS_URL,
  TEST_CLAMD_PORT,
  TEST_ENV,
  TEST_HOST,
  TEST_ICAP_PORT,
  TEST_S3_PORT,
  testClamdDir,
} from './test-services';

const REDIS_HINT = 'start one with: scripts/install-deps.sh test --only redis (or set AVFLEET_TEST_REDIS_URL)';

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected reply ${pong}`);
  } catch (err) {
    throw new Error(`AVF_ERR_TEST_REDIS: Redis at ${url} does not answer PING (${(err as Error).message}); ${REDIS_HINT}`);
  } finally {
    redis.disconnect();
  }
}

async function ensureServices(): Promise<void> {
  const state: ServiceState = readServiceState();
  const clamdDir = testClamdDir();
  const clamdSocket = join(clamdDir, 'clamd.sock');
  const icapUrl = `icap://${TEST_HOST}:${TEST_ICAP_PORT}/virus_scan`;
  const s3Endpoint = `http://${TEST_HOST}:${TEST_S3_PORT}`;

  const tcpUp = await clamdPing({ host: TEST_HOST, port: TEST_CLAMD_PORT });
  const socketUp = await clamdPing({ socketPath: clamdSocket });
  if (tcpUp !== socketUp) {
    throw new Error(
      `AVF_ERR_TEST_CLAMD_FOREIGN: clamd answers on ${tcpUp ? `${TEST_HOST}:${TEST_CLAMD_PORT}` : clamdSocket} but not on ` +
        `${tcpUp ? clamdSocket : `${TEST_HOST}:${TEST_CLAMD_PORT}`}; stop the other clamd (see ${repoTmpPath('services', 'state.json')}) and rerun`,
    );
  }
  if (!tcpUp) {
    const clamd = await startClamd({ dir: clamdDir, tcpPort: TEST_CLAMD_PORT, socketPath: clamdSocket });
    state.clamd = { pid: clamd.pid };
    writeServiceState(state);
  }

  const icapUp = await icapOptions(icapUrl, 1000).then((r) => r.statusCode === 200, () => false);
  if (!icapUp) {
    const cicap = await startCicap({ dir: repoTmpPath('c-icap'), port: TEST_ICAP_PORT, clamdSocket });
    state.cicap = { pid: cicap.pid };
    writeServiceState(state);
  }

  if (!(await s3Answers(s3Endpoint))) {
    const s3 = await startS3rver({ dir: repoTmpPath('s3rver'), port: TEST_S3_PORT });
    state.s3rver = { pid: s3.pid };
    writeServiceState(state);
  }

  process.env[TEST_ENV.clamd] = `${TEST_HOST}:${TEST_CLAMD_PORT}`;
  process.env[TEST_ENV.clamdSocket] = clamdSocket;
  process.env[TEST_ENV.icap] = icapUrl;
  process.env[TEST_ENV.s3Endpoint] = s3Endpoint;
}

/**
 * jest globalSetup of the `integration` project: starts (or reuses) clamd on
 * 127.0.0.1:13310 + .tmp/clamd/clamd.sock, c-icap on 127.0.0.1:11344 and s3rver on
 * 127.0.0.1:14568, checks Redis, and exports their addresses as AVFLEET_TEST_* variables
 * (inherited by the test workers). global-teardown.ts stops what was started once the
 * last concurrent jest run using them finishes.
 */
export default async function globalSetup(): Promise<void> {
  process.env[TEST_ENV.redisUrl] ??= DEFAULT_TEST_REDIS_URL;
  await withServicesLock(async () => {
    addServiceUser(process.pid);
    try {
      await ensureServices();
    } catch (err) {
      // jest skips globalTeardown when globalSetup fails: stop what we started here.
      if (removeServiceUser(process.pid).length === 0) await stopTestServices();
      throw err;
    }
  });
  await checkRedis(process.env[TEST_ENV.redisUrl] ?? DEFAULT_TEST_REDIS_URL);
}
