import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ApiError } from '../../errors';

/**
 * Prometheus text exposition: the process's own registry, or `text()` when
 * given (a producer cluster child serves the whole cluster's metrics, in the
 * same format and content type as its own registry).
 */
export async function metrics(res: ServerResponse, registry: Registry, text?: () => Promise<string>): Promise<number> {
  let body: string;
  if (text) {
    try {
      body = await text();
    } catch (err) {
      throw new ApiError('AVF_ERR_UNAVAILABLE', `metrics of the producer processes are unavailable: ${err instanceof Error ? err.message : String(err)}`, { 'retry-after': '1' }, { cause: err });
    }
  } else {
    body = await registry.metrics();
  }
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
  return 200;
}
