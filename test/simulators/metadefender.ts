import { actOutHttpFault, EICAR_SHA256, readHttpRequest, sendHttpReply, sendJson } from './http-exchange';
import { GARBAGE_LINE, startSimulator, type Simulator } from './simulator-server';

/**
 * OPSWAT MetaDefender Cloud v4 `GET /v4/hash/<sha256>` with an `apikey`
 * header (docs/scanners.md "metadefender"). `auto` knows EICAR (33 of 37 engines)
 * and answers 404 for other hashes; a per-run quota gives 429 like the
 * service. `detected:D/T` answers D of T; other scenarios replay each
 * documented reply.
 */
export const METADEFENDER_PATH = '/v4/hash';

export type MetadefenderScenario =
  | 'auto'
  | `detected:${number}/${number}`
  | 'missing-counts'
  | 'not-found'
  | 'rate-limit'
  | 'no-scan-results'
  | 'bad-json'
  | 'http-500'
  | 'slow'
  | 'reset'
  | 'garbage-http';

export interface MetadefenderSimulatorOptions {
  readonly apikey?: string;
  readonly quota?: number;
  readonly known?: Readonly<Record<string, readonly [number, number]>>;
}

export function startMetadefenderSimulator(initial: MetadefenderScenario = 'auto', options: MetadefenderSimulatorOptions = {}): Promise<Simulator<MetadefenderScenario>> {
  const apikey = options.apikey ?? 'test-key';
  const known: Record<string, readonly [number, number]> = { [EICAR_SHA256]: [33, 37], ...(options.known ?? {}) };
  let served = 0;
  return startSimulator<MetadefenderScenario>(initial, async (sock, scenario) => {
    const req = await readHttpRequest(sock);
    if (!req) return;
    const m = new RegExp(`^${METADEFENDER_PATH}/([0-9a-fA-F]+)$`).exec(req.target);
    if (req.method !== 'GET' || !m) {
      sendJson(sock, 404, { error: { code: 404000, messages: ['Endpoint not found'] } });
      return;
    }
    if (actOutHttpFault(sock, scenario)) return;
    if (req.headers.get('apikey') !== apikey) {
      sendJson(sock, 401, { error: { code: 401006, messages: ['Invalid API key'] } });
      return;
    }
    const sha256 = m[1]!.toLowerCase();
    served++;
    if (scenario === 'rate-limit' || (options.quota !== undefined && served > options.quota)) {
      sendJson(sock, 429, { error: { code: 429000, messages: ['API rate limit exceeded'] } });
      return;
    }
    const report = (d: number, t: number): unknown => ({
      sha256,
      scan_results: {
        scan_all_result_i: d > 0 ? 1 : 0,
        scan_all_result_a: d > 0 ? 'Infected' : 'No Threat Detected',
        total_avs: t,
        total_detected_avs: d,
        scan_details: {},
      },
    });
    const counts = /^detected:(\d+)\/(\d+)$/.exec(scenario);
    if (counts) sendJson(sock, 200, report(Number(counts[1]), Number(counts[2])));
    else if (scenario === 'missing-counts') sendJson(sock, 200, { sha256, scan_results: { scan_all_result_a: 'No Threat Detected' } });
    else if (scenario === 'not-found') sendJson(sock, 404, { error: { code: 404003, messages: ['The hash was not found'] } });
    else if (scenario === 'no-scan-results') sendJson(sock, 200, { sha256, file_info: {} });
    else if (scenario === 'bad-json') sendHttpReply(sock, 200, GARBAGE_LINE, { 'Content-Type': 'text/html' });
    else if (scenario === 'http-500') sendHttpReply(sock, 500, 'internal error');
    else {
      const hit = known[sha256];
      if (hit) sendJson(sock, 200, report(hit[0], hit[1]));
      else sendJson(sock, 404, { error: { code: 404003, messages: ['The hash was not found'] } });
    }
  });
}
