import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Prometheus text exposition of the process's own registry. */
export async function metrics(res: ServerResponse, registry: Registry): Promise<number> {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
  return 200;
}
