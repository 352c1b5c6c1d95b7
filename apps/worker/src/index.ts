/** Public API of @avfleet/worker. */
export { startWorker } from './start-worker';
export type { RunningWorker, StartWorkerOptions } from './start-worker';
export { selectQueues } from './select-queues';
export type { QueueSelection } from './select-queues';
