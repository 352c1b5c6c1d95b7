import { stopProcessGroup } from './daemon-process';
import { readServiceState, removeServiceUser, withServicesLock, writeServiceState } from './service-registry';

/**
 * Stops the services recorded in .tmp/services/state.json (c-icap, s3rver, then clamd)
 * once no other live jest run uses them. Set AVFLEET_KEEP_TEST_SERVICES=1 to leave them
 * running for the next run (scripts/stop-test-services.sh stops them later).
 */
export async function stopTestServices(): Promise<void> {
  const state = readServiceState();
  for (const name of ['cicap', 's3rver', 'clamd'] as const) {
    const entry = state[name];
    if (entry) await stopProcessGroup(entry.pid);
    delete state[name];
    writeServiceState(state);
  }
}

export default async function globalTeardown(): Promise<void> {
  await withServicesLock(async () => {
    const others = removeServiceUser(process.pid);
    if (others.length > 0 || process.env.AVFLEET_KEEP_TEST_SERVICES === '1') return;
    await stopTestServices();
  });
}
