/** Public API of @avfleet/producer. */
export { startProducer } from './start-producer';
export type { RunningProducer, StartProducerOptions } from './start-producer';
export { buildServer } from './frontends/http/build-server';
export type { HttpDeps } from './frontends/http/http-deps';
export type { ServerOptions } from './frontends/http/build-server';
export { rspamdMessageId, toRspamdReply } from './frontends/http/routes/checkv2';
export type { RspamdReply, RspamdSymbol } from './frontends/http/routes/checkv2';
export { ApiError } from './frontends/http/api-error';
export type { ApiErrorCode } from './frontends/http/api-error';
export { runProducerCluster } from './cluster/run-producer-cluster';
export type { ProducerClusterOptions, ProducerClusterOutcome } from './cluster/run-producer-cluster';
export { startProducerChild } from './cluster/start-producer-child';
