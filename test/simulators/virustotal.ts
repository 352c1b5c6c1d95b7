import { actOutHttpFault, EICAR_MD5, readHttpRequest, sendHttpReply, sendJson } from './http-exchange';
import { GARBAGE_LINE, startSimulator, type Simulator } from './simulator-server';

/**
 * VirusTotal v2 `GET /vtapi/v2/file/report?apikey=…&resource=<md5>`
 * (docs/scanners.md "virustotal"). `auto` looks the MD5 up in a small database
 * (EICAR: 61 of 68 engines; unknown: `response_code` 0) and enforces a
 * per-minute quota like the public API (204 with an empty body when spent).
 * `positives:P/T` answers P of T; other scenarios replay each documented reply.
 */
export const VIRUSTOTAL_PATH = '/vtapi/v2/file';

export type VirustotalScenario =
  | 'auto'
  | `positives:${number}/${number}`
  | 'positives-no-total'
  | 'not-found'
  | 'rate-limit'
  | 'queued'
  | 'no-positives'
  | 'bad-json'
  | 'http-500'
  | 'slow'
  | 'reset'
  | 'garbage-http';

export interface VirustotalSimulatorOptions {
  readonly apikey?: string;
  /** Requests accepted before every further one gets 204 (default unlimited). */
  readonly quota?: number;
  /** md5 → [positives, total] beyond EICAR. */
  readonly known?: Readonly<Record<string, readonly [number, number]>>;
}

export function startVirustotalSimulator(initial: VirustotalScenario = 'auto', options: VirustotalSimulatorOptions = {}): Promise<Simulator<VirustotalScenario>> {
  const apikey = options.apikey ?? 'test-key';
  const known: Record<string, readonly [number, number]> = { [EICAR_MD5]: [61, 68], ...(options.known ?? {}) };
  let served = 0;
  return startSimulator<VirustotalScenario>(initial, async (sock, scenario) => {
    const req = await readHttpRequest(sock);
    if (!req) return;
    const url = new URL(req.target, 'http://sim');
    if (req.method !== 'GET' || url.pathname !== `${VIRUSTOTAL_PATH}/report`) {
      sendHttpReply(sock, 404, '');
      return;
    }
    if (actOutHttpFault(sock, scenario)) return;
    if (url.searchParams.get('apikey') !== apikey) {
      sendHttpReply(sock, 403, ''); // the public API answers 403 to a wrong key
      return;
    }
    const resource = url.searchParams.get('resource') ?? '';
    served++;
    if (scenario === 'rate-limit' || (options.quota !== undefined && served > options.quota)) {
      sendHttpReply(sock, 204, '');
      return;
    }
    const report = (p: number, t: number): unknown => ({
      response_code: 1,
      resource,
      positives: p,
      total: t,
      scan_date: '2024-05-01 10:00:00',
      verbose_msg: 'Scan finished, information embedded',
      scans: {},
    });
    const counts = /^positives:(\d+)\/(\d+)$/.exec(scenario);
    if (counts) sendJson(sock, 200, report(Number(counts[1]), Number(counts[2])));
    else if (scenario === 'positives-no-total') sendJson(sock, 200, { response_code: 1, resource, positives: 0 });
    else if (scenario === 'not-found') sendHttpReply(sock, 404, '');
    else if (scenario === 'queued') sendJson(sock, 200, { response_code: -2, resource, verbose_msg: 'Your resource is queued for analysis' });
    else if (scenario === 'no-positives') sendJson(sock, 200, { resource, verbose_msg: 'odd' });
    else if (scenario === 'bad-json') sendHttpReply(sock, 200, GARBAGE_LINE, { 'Content-Type': 'text/html' });
    else if (scenario === 'http-500') sendHttpReply(sock, 500, 'internal error');
    else {
      const hit = known[resource];
      if (hit) sendJson(sock, 200, report(hit[0], hit[1]));
      else sendJson(sock, 200, { response_code: 0, resource, verbose_msg: 'The requested resource is not among the finished, queued or pending scans' });
    }
  });
}
