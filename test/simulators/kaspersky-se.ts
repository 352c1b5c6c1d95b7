import { actOutHttpFault, EICAR_MARK, readHttpRequest, sendHttpReply } from './http-exchange';
import { GARBAGE_LINE, seeFile, startSimulator, type Simulator } from './simulator-server';

/**
 * Kaspersky Scan Engine 2.x in HTTP mode, KAV protocol 1 (docs/scanners.md
 * "kaspersky_se"): `POST /scanmemory` (body = object) or `POST /scanfile`
 * (body = a path it reads). `auto` answers like the engine (EICAR → DETECT,
 * else CLEAN); the other scenarios replay each documented reply.
 */
export const KASPERSKY_SE_REPLIES = {
  clean: 'CLEAN',
  detect: 'DETECT EICAR-Test-File',
  macro: 'CLEAN AND CONTAINS OFFICE MACRO',
  'detect-macro': 'DETECT HEUR:Trojan.Script.Generic AND CONTAINS OFFICE MACRO',
  password: 'NON_SCANNED (PASSWORD PROTECTED)',
  corrupted: 'NON_SCANNED (CORRUPTED)',
  'access-denied': 'NON_SCANNED (ACCESS DENIED)',
  'bare-non-scanned': 'NON_SCANNED',
  'server-error': 'SERVER_ERROR',
  disinfected: 'DISINFECTED',
  deleted: 'DELETED',
  'clean-other': 'CLEAN BUT ODD',
  /** Rspamd 3.4 saw these with a CRLF: all trailing whitespace is trimmed (D9). */
  'clean-crlf': 'CLEAN\r\n',
  'detect-crlf': 'DETECT EICAR-Test-File\r\n',
  garbage: GARBAGE_LINE,
} as const;

export type KasperskySeScenario = 'auto' | keyof typeof KASPERSKY_SE_REPLIES | 'http-500' | 'http-401' | 'slow' | 'reset' | 'garbage-http';

export interface KasperskySeSimulatorOptions {
  /** When set, requests without exactly this `Authorization` get 401. */
  readonly authString?: string;
}

export function startKasperskySeSimulator(initial: KasperskySeScenario = 'auto', options: KasperskySeSimulatorOptions = {}): Promise<Simulator<KasperskySeScenario>> {
  return startSimulator<KasperskySeScenario>(initial, async (sock, scenario, files) => {
    const req = await readHttpRequest(sock);
    if (!req) return;
    if (req.method !== 'POST' || (req.target !== '/scanmemory' && req.target !== '/scanfile')) {
      sendHttpReply(sock, 404, 'unknown endpoint');
      return;
    }
    if (req.headers.get('x-kav-protocolversion') !== '1') {
      sendHttpReply(sock, 400, 'unsupported protocol version');
      return;
    }
    let object = req.body;
    if (req.target === '/scanfile') {
      const seen = seeFile(req.body.toString('utf8'));
      files.push(seen);
      if (!seen.content) {
        sendHttpReply(sock, 200, 'NON_SCANNED (ACCESS DENIED)');
        return;
      }
      object = seen.content;
    }
    if (actOutHttpFault(sock, scenario)) return;
    if (options.authString !== undefined && req.headers.get('authorization') !== options.authString) {
      sendHttpReply(sock, 401, 'unauthorized');
      return;
    }
    if (scenario === 'http-500') sendHttpReply(sock, 500, 'internal error');
    else if (scenario === 'http-401') sendHttpReply(sock, 401, 'unauthorized');
    else if (scenario === 'auto') sendHttpReply(sock, 200, object.includes(EICAR_MARK) ? KASPERSKY_SE_REPLIES.detect : KASPERSKY_SE_REPLIES.clean);
    else sendHttpReply(sock, 200, KASPERSKY_SE_REPLIES[scenario]);
  });
}
