import { startAvastSimulator, type AvastScenario } from '../../../../test/simulators/avast';
import { startFprotSimulator, type FprotScenario } from '../../../../test/simulators/fprot';
import { startKasperskySimulator, type KasperskyScenario } from '../../../../test/simulators/kaspersky';
import { startSavapiSimulator, type SavapiScenario } from '../../../../test/simulators/savapi';
import { GARBAGE_LINE } from '../../../../test/simulators/simulator-server';
import { startSophosSavdiSimulator, type SophosScenario } from '../../../../test/simulators/sophos-savdi';
import { AvastClient } from '../../src/clients/avast/avast-client';
import { FprotClient } from '../../src/clients/fprot/fprot-client';
import { KasperskyClient } from '../../src/clients/kaspersky/kaspersky-client';
import { SavapiClient } from '../../src/clients/savapi/savapi-client';
import { SophosClient } from '../../src/clients/sophos/sophos-client';
import { clean, encrypted, fail, virus } from '../../src/verdict';
import { conformanceCase, socketOptions, type ConformanceCase, type ConformanceSimulator, type ScannerConformanceAdapter } from './scanner-conformance';

/** The conformance adapters of the five line-protocol socket scanners. */

export const SAVAPI_PRODUCT_ID = '12345';

const c = conformanceCase;
const garbage = (scenario = 'garbage'): ConformanceCase => c(scenario, fail(`unhandled response: ${GARBAGE_LINE}`));

export const fprotAdapter: ScannerConformanceAdapter = {
  type: 'fprot',
  start: () => startFprotSimulator() as Promise<ConformanceSimulator>,
  create: (t, o) => new FprotClient(socketOptions(t, o)),
  checkRequest(request, body) {
    const head = /^SCAN STREAM ([0-9A-F]{10}) SIZE 68\n/.exec(request.toString('latin1'));
    expect(head).not.toBeNull();
    expect(request).toEqual(Buffer.concat([Buffer.from(head![0], 'latin1'), body, Buffer.from('\n')]));
  },
  cases: {
    clean: c<FprotScenario>('clean', clean()),
    infected: c<FprotScenario>('infected', virus(['EICAR_Test_File'])),
    errorCodes: [c<FprotScenario>('error', expect.objectContaining({ kind: 'fail', text: expect.stringMatching(/^unhandled response: 8 <error: could not read the stream> [0-9A-F]{10}$/) }))],
    garbage: garbage(),
    earlyReply: c<FprotScenario>('early-infected', virus(['EICAR_Test_File']), { title: 'answers the header alone and closes, like Rspamd\'s dummy_fprot.py' }),
    extra: [c<FprotScenario>('suspicious', virus(['W32/Heuristic-210!Eldorado']), { title: 'code 2 is a detection' })],
  },
  slow: { retried: true },
  reset: { retried: true },
};

export const sophosAdapter: ScannerConformanceAdapter = {
  type: 'sophos',
  start: () => startSophosSavdiSimulator('clean', 4096) as Promise<ConformanceSimulator>,
  create: (t, o) => new SophosClient(socketOptions(t, o)),
  checkRequest(request, body) {
    expect(request).toEqual(Buffer.concat([Buffer.from('SSSP/1.0\nSCANDATA 68\n'), body, Buffer.from('BYE\n')]));
  },
  cases: {
    clean: c<SophosScenario>('clean', clean()),
    infected: c<SophosScenario>('infected', virus(['EICAR-AV-Test'])),
    severalNames: c<SophosScenario>('several', virus(['Troj/Agent-A', 'EICAR-AV-Test'])),
    encrypted: c<SophosScenario>('encrypted', encrypted('SAVDI: Message is encrypted (FAIL 0212)'), { title: 'ACC and FAIL 0212 in one chunk (defect a)' }),
    errorCodes: [
      c<SophosScenario>('rej1', fail('SAVDI: Protocol error (REJ 1)')),
      c<SophosScenario>('rej5', fail('unhandled response: REJ 5')),
      c<SophosScenario>('done-fail', fail('unhandled response: DONE FAIL 0203 Could not open the file')),
    ],
    sizeLimit: c<SophosScenario>('clean', fail('SAVDI: Message oversized (REJ 4)', 'limits'), { body: Buffer.alloc(4 * 1024 * 1024, 0x41), title: 'REJ 4, read after the broken write' }),
    garbage: garbage(),
    earlyReply: c<SophosScenario>('early-infected', virus(['EICAR-AV-Test']), { title: 'answers SCANDATA before reading the data and closes' }),
    extra: [c<SophosScenario>('split', virus(['EICAR-AV-Test']), { title: 'a line split across reads (defect c)' })],
  },
  slow: { retried: true },
  reset: { retried: true },
};

export const savapiAdapter: ScannerConformanceAdapter = {
  type: 'savapi',
  tempFileExt: 'tmp',
  start: () => startSavapiSimulator('clean', SAVAPI_PRODUCT_ID) as Promise<ConformanceSimulator>,
  create: (t, o) => new SavapiClient({ ...socketOptions(t, o), tmpdir: o.tmpdir, productId: SAVAPI_PRODUCT_ID }),
  checkRequest(request, _body, tempPath) {
    expect(request.toString('utf8')).toBe(`SET PRODUCT ${SAVAPI_PRODUCT_ID}\nSCAN ${tempPath}\nQUIT\n`);
  },
  cases: {
    clean: c<SavapiScenario>('clean', clean()),
    infected: c<SavapiScenario>('infected', virus(['Eicar-Test-Signature'])),
    severalNames: c<SavapiScenario>('several', virus(['Eicar-Test-Signature', 'TR/Agent.4711'])),
    errorCodes: [
      c<SavapiScenario>('error', expect.objectContaining({ kind: 'fail', text: expect.stringMatching(/^unhandled response: 430 \/.* cannot open the file$/) })),
      c<SavapiScenario>('bad-greeting', fail('unhandled response: 500 SAVAPI:4.0 too many connections'), { title: 'greeting without 100' }),
      c<SavapiScenario>('unparseable', expect.objectContaining({ kind: 'fail', text: expect.stringMatching(/^virus result unparseable: 310 /) })),
    ],
    garbage: garbage(),
    extra: [
      c<SavapiScenario>('clean-210', clean(), { title: '210 is clean' }),
      c<SavapiScenario>('name-with-200', virus(['W32/Foo.200']), { title: 'a name containing 200 is not clean (defect a)' }),
      c<SavapiScenario>('reset-before-scan', fail('failed to scan and retransmits exceed'), { connections: 2, title: 'retried before SCAN' }),
    ],
  },
  slow: { retried: false, textStartsWith: 'within 0.4 s' },
  reset: { retried: false, textStartsWith: 'unhandled response: ' },
};

export const kasperskyAdapter: ScannerConformanceAdapter = {
  type: 'kaspersky',
  tempFileExt: 'tmp',
  start: () => startKasperskySimulator() as Promise<ConformanceSimulator>,
  create: (t, o) => new KasperskyClient({ ...socketOptions(t, o), tmpdir: o.tmpdir }),
  checkRequest(request, _body, tempPath) {
    expect(request.toString('utf8')).toBe(`nSCAN ${tempPath}\n`);
  },
  cases: {
    clean: c<KasperskyScenario>('clean', clean()),
    infected: c<KasperskyScenario>('infected', virus(['EICAR-Test-File'])),
    errorCodes: [c<KasperskyScenario>('error', expect.objectContaining({ kind: 'fail', text: expect.stringMatching(/^unhandled response: \/.*: lstat\(\) failed: No such file or directory\. ERROR$/) }))],
    garbage: garbage(),
    extra: [c<KasperskyScenario>('stream-ok', clean(), { title: '"stream: OK" is clean' })],
  },
  slow: { retried: true },
  reset: { retried: true },
};

export const avastAdapter: ScannerConformanceAdapter = {
  type: 'avast',
  tempFileExt: 'avtmp',
  start: () => startAvastSimulator() as Promise<ConformanceSimulator>,
  create: (t, o) => new AvastClient({ ...socketOptions(t, o), tmpdir: o.tmpdir }),
  checkRequest(request, _body, tempPath) {
    expect(request.toString('utf8')).toBe(`SCAN ${tempPath}\r\n`);
  },
  cases: {
    clean: c<AvastScenario>('clean', clean()),
    infected: c<AvastScenario>('infected', virus(['Eicar [Heur]'])),
    severalNames: c<AvastScenario>('archive', virus(['Win32:Malware-gen', 'EICAR Test-NOT virus!!!']), { title: 'infected members before clean ones still win (D12)' }),
    errorCodes: [
      c<AvastScenario>('error', fail('error:Symbolic link or not a regular file')),
      c<AvastScenario>('bad-greeting', fail('unhandled response: 421 SERVICE NOT AVAILABLE'), { title: 'greeting without 220 (D13)' }),
      c<AvastScenario>('short-line', fail('unhandled response: OK'), { title: 'a line of 4 bytes or fewer (D13)' }),
    ],
    garbage: garbage(),
    extra: [c<AvastScenario>('reset-after-verdict', fail('failed to scan and retransmits exceed'), { connections: 2, title: 'a break before 200 discards the verdict line and retries (D11: 1 + retransmits)' })],
  },
  slow: { retried: true },
  reset: { retried: true },
};
