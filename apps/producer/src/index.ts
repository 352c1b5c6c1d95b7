/** Public API of @avfleet/producer. */
export { startProducer } from './start-producer';
export type { RunningProducer, StartProducerOptions } from './start-producer';
export { buildServer } from './http/build-server';
export type { HttpDeps } from './http/http-deps';
export type { ServerOptions } from './http/build-server';
export { rspamdMessageId, toRspamdReply } from './http/routes/checkv2';
export type { RspamdReply, RspamdSymbol } from './http/routes/checkv2';
export { ApiError } from './errors';
export type { ApiErrorCode } from './errors';
export { runProducerCluster } from './cluster/run-producer-cluster';
export type { ProducerClusterOptions, ProducerClusterOutcome } from './cluster/run-producer-cluster';
export { startProducerChild } from './cluster/start-producer-child';
