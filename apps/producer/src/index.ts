/** Public API of @avfleet/producer. */
export { startProducer } from './start-producer';
export type { RunningProducer, StartProducerOptions } from './start-producer';
export { buildServer } from './http/build-server';
export type { HttpDeps, Readiness } from './http/http-deps';
export { toRspamdReply } from './http/routes/checkv2';
export { ApiError } from './errors';
export type { ApiErrorCode } from './errors';
