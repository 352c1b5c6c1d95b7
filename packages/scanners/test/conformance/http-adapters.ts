import { EICAR_MD5, EICAR_SHA256 } from '../../../../test/simulators/http-exchange';
import { startIcapSimulator, type IcapScenario } from '../../../../test/simulators/icap';
import { KASPERSKY_SE_REPLIES, startKasperskySeSimulator, type KasperskySeScenario } from '../../../../test/simulators/kaspersky-se';
import { startMetadefenderSimulator, type MetadefenderScenario } from '../../../../test/simulators/metadefender';
import { GARBAGE_LINE } from '../../../../test/simulators/simulator-server';
import { startVirustotalSimulator, type VirustotalScenario } from '../../../../test/simulators/virustotal';
import { IcapClient } from '../../src/clients/icap/icap-client';
import { KasperskySeClient } from '../../src/clients/kaspersky-se/kaspersky-se-client';
import { MetadefenderClient } from '../../src/clients/metadefender/metadefender-client';
import { VirustotalClient } from '../../src/clients/virustotal/virustotal-client';
import { category, clean, encrypted, fail, macro, virus } from '../../src/verdict';
import { conformanceCase, EICAR, socketOptions, type ConformanceSimulator, type ScannerConformanceAdapter } from './scanner-conformance';

/** The conformance adapters of the HTTP scanners (kaspersky_se in both modes, virustotal, metadefender) and icap. */

const c = conformanceCase;
const CLEAN_BODY = Buffer.from('Hello, this attachment is harmless.\n');
const failW1 = (text: string, reason: 'error' | 'rate_limit' = 'error') => fail(text, reason, 1);

// ---------------------------------------------------------------- kaspersky_se

const kasperskySeCases = {
  clean: c<KasperskySeScenario>('clean', clean()),
  infected: c<KasperskySeScenario>('detect', virus(['EICAR-Test-File'])),
  encrypted: c<KasperskySeScenario>('password', encrypted('File is encrypted: PASSWORD PROTECTED')),
  macro: c<KasperskySeScenario>('macro', macro('File contains macros')),
  errorCodes: [
    c<KasperskySeScenario>('server-error', fail('error:SERVER_ERROR')),
    c<KasperskySeScenario>('http-500', failW1('Bad HTTP code: 500'), { title: 'weight 1, not retried' }),
    c<KasperskySeScenario>('http-401', failW1('Bad HTTP code: 401')),
    c<KasperskySeScenario>('corrupted', fail('unhandled response:NON_SCANNED (CORRUPTED)')),
    c<KasperskySeScenario>('access-denied', fail('unhandled response:NON_SCANNED (ACCESS DENIED)')),
    c<KasperskySeScenario>('bare-non-scanned', fail('unhandled response:NON_SCANNED')),
    c<KasperskySeScenario>('disinfected', fail('unhandled response:DISINFECTED')),
    c<KasperskySeScenario>('deleted', fail('unhandled response:DELETED')),
    c<KasperskySeScenario>('clean-other', fail('unhandled response:CLEAN BUT ODD')),
  ],
  garbage: c<KasperskySeScenario>('garbage', fail(`unhandled response:${KASPERSKY_SE_REPLIES.garbage}`)),
  extra: [
    c<KasperskySeScenario>('auto', virus(['EICAR-Test-File']), { title: 'the engine detects EICAR' }),
    c<KasperskySeScenario>('auto', clean(), { body: CLEAN_BODY, title: 'the engine passes a clean body' }),
    c<KasperskySeScenario>('detect-macro', virus(['HEUR:Trojan.Script.Generic AND CONTAINS OFFICE MACRO']), { title: 'macro suffix kept in the name (D10)' }),
    c<KasperskySeScenario>('clean-crlf', clean(), { title: 'all trailing whitespace trimmed (D9)' }),
    c<KasperskySeScenario>('detect-crlf', virus(['EICAR-Test-File']), { title: 'name without \\r (D9)' }),
    c<KasperskySeScenario>('garbage-http', fail('failed to scan and retransmits exceed', 'error'), { connections: 2, title: 'not HTTP: transport error, retried' }),
  ],
};

function kasperskySeRequestHead(request: Buffer, path: string, length: number): string {
  const text = request.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n') + 4);
  expect(head).toMatch(
    new RegExp(
      `^POST ${path} HTTP/1\\.1\\r\\nConnection: keep-alive\\r\\nHost: 127\\.0\\.0\\.1:\\d+\\r\\nContent-Length: ${length}\\r\\n` +
        'X-KAV-ProtocolVersion: 1\\r\\nX-KAV-Timeout: 400\\r\\nUser-Agent: avfleet\\r\\n\\r\\n$',
    ),
  );
  return text.slice(head.length);
}

export const kasperskySeAdapter: ScannerConformanceAdapter = {
  type: 'kaspersky_se',
  start: () => startKasperskySeSimulator('clean') as Promise<ConformanceSimulator>,
  create: (t, o) => new KasperskySeClient(socketOptions(t, o)),
  checkRequest(request, body) {
    expect(kasperskySeRequestHead(request, '/scanmemory', body.length)).toBe(body.toString('latin1'));
  },
  cases: kasperskySeCases,
  slow: { retried: true },
  reset: { retried: true },
};

export const kasperskySeFilesAdapter: ScannerConformanceAdapter = {
  type: 'kaspersky_se-use_files',
  tempFileExt: 'tmp',
  start: () => startKasperskySeSimulator('clean') as Promise<ConformanceSimulator>,
  create: (t, o) => new KasperskySeClient({ ...socketOptions(t, o), useFiles: true, tmpdir: o.tmpdir }),
  checkRequest(request, _body, tempPath) {
    expect(tempPath).not.toBeNull();
    expect(kasperskySeRequestHead(request, '/scanfile', Buffer.byteLength(tempPath!))).toBe(tempPath);
  },
  cases: kasperskySeCases,
  slow: { retried: true },
  reset: { retried: true },
};

// ---------------------------------------------------------------- hash services

const hashFaults = {
  slow: { retried: false, textStartsWith: 'HTTP error: ' },
  reset: { retried: false, textStartsWith: 'HTTP error: ' },
  refused: { retried: false, textStartsWith: 'HTTP error: ' },
} as const;
const badJson = expect.objectContaining({ kind: 'fail', reason: 'error', weight: 1, text: expect.stringMatching(/^Bad JSON reply: .+/) });

const vt = (name: 'CLEAN' | 'LOW' | 'MEDIUM' | 'HIGH', option: string) => category(`VIRUSTOTAL_${name}`, `${EICAR_MD5}:${option}`);

export const virustotalAdapter: ScannerConformanceAdapter = {
  type: 'virustotal',
  start: () => startVirustotalSimulator('auto') as Promise<ConformanceSimulator>,
  create: (t, o) =>
    new VirustotalClient({ apikey: 'test-key', url: `http://${t.host}:${t.port}/vtapi/v2/file`, timeoutSec: o.timeoutSec, ...(o.onAttempt ? { onAttempt: o.onAttempt } : {}) }),
  checkRequest(request) {
    expect(request.toString('latin1')).toMatch(new RegExp(`^GET /vtapi/v2/file/report\\?apikey=test-key&resource=${EICAR_MD5} HTTP/1\\.1\\r\\n`));
  },
  cases: {
    clean: c<VirustotalScenario>('positives:0/68', vt('CLEAN', '0/68')),
    infected: c<VirustotalScenario>('auto', vt('HIGH', '61/68')),
    errorCodes: [
      c<VirustotalScenario>('rate-limit', failW1('rate limit exceeded', 'rate_limit'), { title: '204 is the rate-limit answer' }),
      c<VirustotalScenario>('http-500', failW1('Bad HTTP code: 500')),
      c<VirustotalScenario>('queued', failW1('Bad JSON reply: no `positives` element'), { title: 'response_code -2' }),
      c<VirustotalScenario>('no-positives', failW1('Bad JSON reply: no `positives` element'), { title: 'no response_code' }),
    ],
    garbage: c<VirustotalScenario>('bad-json', badJson),
    extra: [
      c<VirustotalScenario>('not-found', clean(), { title: '404 is clean without a symbol' }),
      c<VirustotalScenario>('auto', category('VIRUSTOTAL_CLEAN', '3cc10006a6298067ba4bf34df83f1e79:0'), {
        body: CLEAN_BODY,
        title: 'unknown hash (response_code 0)',
      }),
      c<VirustotalScenario>('positives-no-total', vt('CLEAN', '0/0'), { title: 'total missing → 0' }),
      c<VirustotalScenario>('positives:1/68', clean(), { title: 'below minimum_engines' }),
      c<VirustotalScenario>('positives:2/68', clean()),
      c<VirustotalScenario>('positives:3/68', vt('LOW', '3/68')),
      c<VirustotalScenario>('positives:4/68', vt('LOW', '4/68')),
      c<VirustotalScenario>('positives:5/68', vt('MEDIUM', '5/68')),
      c<VirustotalScenario>('positives:9/68', vt('MEDIUM', '9/68')),
      c<VirustotalScenario>('positives:10/68', vt('HIGH', '10/68')),
      c<VirustotalScenario>('garbage-http', expect.objectContaining({ kind: 'fail', weight: 1, text: expect.stringMatching(/^HTTP error: /) }), { title: 'transport error (D14), not retried' }),
    ],
  },
  ...hashFaults,
};

const md = (name: 'CLEAN' | 'LOW' | 'MEDIUM' | 'HIGH', option: string) => category(`METADEFENDER_${name}`, `${EICAR_SHA256}:${option}`);

export const metadefenderAdapter: ScannerConformanceAdapter = {
  type: 'metadefender',
  start: () => startMetadefenderSimulator('auto') as Promise<ConformanceSimulator>,
  create: (t, o) =>
    new MetadefenderClient({ apikey: 'test-key', url: `http://${t.host}:${t.port}/v4/hash`, timeoutSec: o.timeoutSec, ...(o.onAttempt ? { onAttempt: o.onAttempt } : {}) }),
  checkRequest(request) {
    const text = request.toString('latin1');
    expect(text).toMatch(new RegExp(`^GET /v4/hash/${EICAR_SHA256} HTTP/1\\.1\\r\\n`));
    expect(text).toMatch(/\r\napikey: test-key\r\n/);
  },
  cases: {
    clean: c<MetadefenderScenario>('detected:0/37', md('CLEAN', '0/37')),
    infected: c<MetadefenderScenario>('auto', md('HIGH', '33/37')),
    errorCodes: [
      c<MetadefenderScenario>('rate-limit', failW1('rate limit exceeded', 'rate_limit'), { title: '429' }),
      c<MetadefenderScenario>('http-500', failW1('Bad HTTP code: 500')),
      c<MetadefenderScenario>('no-scan-results', failW1('Bad JSON reply: no scan_results')),
    ],
    garbage: c<MetadefenderScenario>('bad-json', badJson),
    extra: [
      c<MetadefenderScenario>('not-found', clean(), { title: '404 is clean without a symbol' }),
      c<MetadefenderScenario>('auto', clean(), { body: CLEAN_BODY, title: 'unknown hash → 404' }),
      c<MetadefenderScenario>('missing-counts', md('CLEAN', '0/0'), { title: 'counts missing → 0' }),
      c<MetadefenderScenario>('detected:2/37', clean(), { title: 'below minimum_engines' }),
      c<MetadefenderScenario>('detected:3/37', md('LOW', '3/37')),
      c<MetadefenderScenario>('detected:5/37', md('MEDIUM', '5/37')),
      c<MetadefenderScenario>('detected:10/37', md('HIGH', '10/37')),
      c<MetadefenderScenario>('garbage-http', expect.objectContaining({ kind: 'fail', weight: 1, text: expect.stringMatching(/^HTTP error: /) }), { title: 'transport error' }),
    ],
  },
  ...hashFaults,
};

// ---------------------------------------------------------------- icap

/** The worked example of docs/scanners.md (whole message, EICAR, user_agent Rspamd, no Allow, 127.0.0.1). */
export const ICAP_WORKED_EXAMPLE =
  'RESPMOD icap://127.0.0.1/scan ICAP/1.0\r\n' +
  'Host: 127.0.0.1\r\n' +
  'User-Agent: Rspamd\r\n' +
  'Encapsulated: req-hdr=0, res-hdr=95, res-body=251\r\n' +
  '\r\n' +
  'GET http://127.0.0.1/mail HTTP/1.0\r\n' +
  'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n' +
  'User-Agent: Rspamd\r\n' +
  '\r\n' +
  'HTTP/1.0 200 OK\r\n' +
  'Content-Type: application/octet-stream\r\n' +
  'Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n' +
  'Server: Apache/2.4\r\n' +
  'User-Agent: Rspamd\r\n' +
  'Content-Length: 68\r\n' +
  '\r\n' +
  '44\r\n' +
  `${EICAR.toString('latin1')}\r\n` +
  '0\r\n' +
  '\r\n';
export const ICAP_OPTIONS_REQUEST = 'OPTIONS icap://127.0.0.1/scan ICAP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: Rspamd\r\nConnection: keep-alive\r\nEncapsulated: null-body=0\r\n\r\n';
export const FIXED_CLOCK = (): Date => new Date(Date.UTC(2026, 0, 1));

export const icapAdapter: ScannerConformanceAdapter = {
  type: 'icap',
  start: () => startIcapSimulator('auto') as Promise<ConformanceSimulator>,
  create: (t, o) => new IcapClient({ ...socketOptions(t, o), clock: FIXED_CLOCK }),
  checkRequest(request) {
    expect(request.toString('latin1')).toBe(ICAP_OPTIONS_REQUEST + ICAP_WORKED_EXAMPLE);
  },
  cases: {
    clean: c<IcapScenario>('clean', clean(), { title: 'no Allow 204: the body comes back, HTTP 200' }),
    infected: c<IcapScenario>('auto', virus(['Eicar-Test-Signature']), { title: 'c-icap X-Infection-Found' }),
    severalNames: c<IcapScenario>('two-names', virus(['Foo', 'BarBaz']), { title: 'X-Virus-ID "Foo, Bar Baz"' }),
    errorCodes: [
      c<IcapScenario>('icap-500', fail('ICAP/1.0 500 Server error')),
      c<IcapScenario>('symantec-539', fail('ICAP/1.0 539 Aborted - No AV scanning license')),
      c<IcapScenario>('options-fail', fail('OPTIONS query failed')),
      c<IcapScenario>('no-respmod', fail('NO RESPMOD')),
      c<IcapScenario>('symantec-type2', fail('Encrypted container violation'), { title: 'Type=2 is a scan error' }),
      c<IcapScenario>('symantec-type2-nosemi', fail('Container size violation'), { title: 'Type=2 without the trailing ; (D24)' }),
      c<IcapScenario>('icap-100', fail('unhandled icap response: ICAP/1.0 100 Continue')),
      c<IcapScenario>('http-bad-status', fail('unhandled icap response: HTTP/1.0 500 Internal Server Error'), { title: 'HTTP status line named (D22)' }),
    ],
    garbage: c<IcapScenario>('garbage', fail(`unhandled icap response: ${GARBAGE_LINE}`)),
    extra: [
      c<IcapScenario>('auto', clean(), { body: CLEAN_BODY, title: 'Allow 204 advertised: 204 No Content' }),
      c<IcapScenario>('squidclamav', virus(['{HEX}EICAR.TEST.3.UNOFFICIAL'])),
      c<IcapScenario>('kaspersky-virus-id', virus(['HEUR:Backdoor.Java.QRat.gen'])),
      c<IcapScenario>('kaspersky-no-threats', clean(), { title: 'X-Virus-ID "no threats"' }),
      c<IcapScenario>('mcafee', virus(['EICAR test file'])),
      c<IcapScenario>('fsecure', virus(['Malware.W97M/Agent.32584203'])),
      c<IcapScenario>('x-blocked', virus(['Virus found during virus scan']), { title: 'Sophos X-Blocked in the HTTP block' }),
      c<IcapScenario>('http-403', virus(['pseudo-virus (blocked): 403 Forbidden'])),
      c<IcapScenario>('http-307', clean(), { title: 'a 3xx is no threat by default' }),
      c<IcapScenario>('echo-req-hdr', virus(['Virus found during virus scan']), { title: 'echoed request header skipped (D25)' }),
      c<IcapScenario>('opt-body', virus(['Eicar-Test-Signature']), { title: 'OPTIONS body read (D26)' }),
      c<IcapScenario>('connection-close', virus(['Eicar-Test-Signature']), { connections: 2, title: 'OPTIONS says Connection: close' }),
    ],
  },
  slow: { retried: true },
  reset: { retried: true },
  exhausted: (reason) => ({ kind: 'fail', reason, text: expect.stringMatching(/^failed - error: .+/) }),
};
