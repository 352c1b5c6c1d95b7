import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDetached, stopProcessGroup } from '../../../test/helpers/daemon-process';
import { repoRoot } from '../../../test/helpers/repo-root';
import { s3Answers } from '../../../test/helpers/start-s3rver';
import { waitUntil } from '../../../test/helpers/wait-until';

export interface BenchS3rver {
  pid: number;
  endpoint: string;
  /** Folder where s3rver keeps the objects. */
  storeDir: string;
  stop(): Promise<void>;
}

/**
 * s3rver through test/helpers/s3rver-launcher.mjs (the same fixes the tests use), started
 * from the repository copy of the launcher so it also works from benchmarks/dist.
 */
export async function startBenchS3rver(dir: string, port: number): Promise<BenchS3rver> {
  const storeDir = join(dir, 'store');
  mkdirSync(storeDir, { recursive: true });
  const out = join(dir, 's3rver.out');
  writeFileSync(out, '');
  const launcher = join(repoRoot(), 'test', 'helpers', 's3rver-launcher.mjs');
  const handle = spawnDetached(process.execPath, [launcher, '--host', '127.0.0.1', '--port', String(port), '--dir', storeDir], out, dir);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> => stopProcessGroup(handle.pid);
  try {
    await waitUntil(() => s3Answers(endpoint), {
      timeoutMs: 20000,
      failureMessage: () => `AVF_ERR_BENCH_S3RVER: s3rver did not answer on ${endpoint} within 20 s; see ${out}`,
      abortWhen: () => (handle.exitStatus() === undefined ? undefined : `AVF_ERR_BENCH_S3RVER: s3rver exited (${handle.exitStatus()}); see ${out}`),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: handle.pid, endpoint, storeDir, stop };
}
