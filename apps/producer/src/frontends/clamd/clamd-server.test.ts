import { connect } from 'node:net';
import { EMPTY_META, IntakeError } from '@avfleet/core';
import type { ClamdServer } from './clamd-server';
import { chunks, cleanV, eicarAware, encryptedV, exchange, failV, fakeSubmitter, macroV, resultWith, startTestServer, virusV, type FakeSubmitter } from '../../../test/clamd/test-clamd-harness';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

let server: ClamdServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(submitter: FakeSubmitter = eicarAware(), limits = {}, over = {}): Promise<number> {
  const s = await startTestServer(submitter, limits, over);
  server = s.server;
  return s.port;
}

describe('clamd commands in the three forms', () => {
  it('PING answers PONG with the terminator of the form, then closes', async () => {
    const port = await start();
    expect(await exchange(port, ['zPING\0'])).toEqual({ text: 'PONG\0', closed: true });
    expect(await exchange(port, ['nPING\n'])).toEqual({ text: 'PONG\n', closed: true });
    expect(await exchange(port, ['PING\n'])).toEqual({ text: 'PONG\n', closed: true });
    expect(await exchange(port, ['PING'])).toEqual({ text: 'PONG\n', closed: true });
    expect(await exchange(port, ['nPING\r\n'])).toEqual({ text: 'PONG\n', closed: true });
  });

  it('VERSION and VERSIONCOMMANDS name avfleet in clamd\'s shape', async () => {
    const port = await start();
    expect((await exchange(port, ['zVERSION\0'])).text).toBe('avfleet 9.9.9\0');
    expect((await exchange(port, ['VERSION\n'])).text).toBe('avfleet 9.9.9\n');
    expect((await exchange(port, ['nVERSIONCOMMANDS\n'])).text).toBe('avfleet 9.9.9| COMMANDS: PING VERSION VERSIONCOMMANDS INSTREAM IDSESSION END\n');
    // clamd accepts VERSIONCOMMANDS only with a prefix.
    expect((await exchange(port, ['VERSIONCOMMANDS\n'])).text).toBe('UNKNOWN COMMAND\n');
  });

  it('unknown commands, trailing garbage and END outside a session answer UNKNOWN COMMAND', async () => {
    const port = await start();
    for (const cmd of ['zHELLO\0', 'zPING x\0', 'zEND\0', 'nINSTREAMX\n', 'GET / HTTP/1.1\r\n', 'zping\0']) {
      expect(await exchange(port, [cmd])).toEqual({ text: `UNKNOWN COMMAND${cmd.startsWith('z') ? '\0' : '\n'}`, closed: true });
    }
    // INSTREAM and IDSESSION have no legacy form.
    expect((await exchange(port, ['INSTREAM\n'])).text).toBe('UNKNOWN COMMAND\n');
  });

  it('path scans are refused with a clamd-style ERROR naming the path; switched-off commands are COMMAND UNAVAILABLE', async () => {
    const sub = eicarAware();
    const port = await start(sub);
    for (const name of ['SCAN', 'CONTSCAN', 'MULTISCAN', 'ALLMATCHSCAN']) {
      const { text } = await exchange(port, [`z${name} /etc/passwd\0`]);
      expect(text).toMatch(new RegExp(`^/etc/passwd: AVF_ERR_CLAMD_PATH_SCAN: ${name} of a path is refused.* ERROR\\0$`));
    }
    expect((await exchange(port, ['SCAN /tmp/x\n'])).text).toMatch(/^\/tmp\/x: AVF_ERR_CLAMD_PATH_SCAN: .* ERROR\n$/);
    expect((await exchange(port, ['zSCAN\0'])).text).toBe('UNKNOWN COMMAND\0');
    for (const name of ['SHUTDOWN', 'RELOAD', 'STATS', 'QUIT']) expect((await exchange(port, [`z${name}\0`])).text).toBe('COMMAND UNAVAILABLE\0');
    expect(sub.submissions).toHaveLength(0);
  });
});

describe('INSTREAM', () => {
  it('scans the stream and answers FOUND or OK; the chunking does not matter', async () => {
    const sub = eicarAware();
    const port = await start(sub);
    expect((await exchange(port, ['zINSTREAM\0', chunks(EICAR)])).text).toBe('stream: Eicar-Test-Signature FOUND\0');
    expect((await exchange(port, ['nINSTREAM\n', chunks('clean bytes')])).text).toBe('stream: OK\n');
    const pieces = [...EICAR].map((c) => c);
    expect((await exchange(port, [Buffer.concat([Buffer.from('zINSTREAM\0'), chunks(...pieces)])])).text).toBe('stream: Eicar-Test-Signature FOUND\0');
    expect(sub.submissions.map((s) => s.raw.toString('latin1'))).toEqual([EICAR, 'clean bytes', EICAR]);
    // Byte by byte across packets, the length prefix split too.
    const bytes = Buffer.concat([Buffer.from('zINSTREAM\0'), chunks('ab', 'cd')]);
    expect((await exchange(port, [...bytes].map((b) => Buffer.from([b])))).text).toBe('stream: OK\0');
    expect(sub.submissions.at(-1)?.raw.toString()).toBe('abcd');
  });

  it('an empty stream is OK without a submission', async () => {
    const sub = eicarAware();
    const port = await start(sub);
    expect((await exchange(port, ['zINSTREAM\0', Buffer.alloc(4)])).text).toBe('stream: OK\0');
    expect(sub.submissions).toHaveLength(0);
  });

  it('submits mail as a message and anything else as one file, with the clamd deadline', async () => {
    const sub = eicarAware();
    const port = await start(sub, {}, { deadlineSec: 7 });
    const mail = 'From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n';
    await exchange(port, ['zINSTREAM\0', chunks(mail)]);
    await exchange(port, ['zINSTREAM\0', chunks('%PDF-1.4 not mail')]);
    expect(sub.submissions.map((s) => s.shape)).toEqual(['message', 'file']);
    expect(sub.submissions[0]).toMatchObject({ waitSec: 7, meta: { deadlineSec: 7, ip: null } });
  });

  it('carries no request metadata (README "Limits"): whatever the client sends, a submission\'s meta is empty but for the deadline; a path echoed in a refusal is cut like every reply text', async () => {
    const sub = eicarAware();
    const port = await start(sub, {}, { deadlineSec: 7 });
    const mail = `From: ${'f'.repeat(5000)}@example.org\r\nTo: ${Array.from({ length: 3000 }, (_, i) => `r${i}@x.org`).join(', ')}\r\nSubject: hi\r\n\r\nbody\r\n`;
    await exchange(port, ['zINSTREAM\0', chunks(mail)]);
    expect(sub.submissions[0]!.meta).toEqual({ ...EMPTY_META, deadlineSec: 7 });
    const path = `/${'p'.repeat(8000)}`;
    const { text } = await exchange(port, [`zSCAN ${path}\0`]);
    expect(text).toMatch(/^\/p{100,}[^p]+: AVF_ERR_CLAMD_PATH_SCAN: .* ERROR\0$/);
    expect(text.length).toBeLessThan(2048);
  });

  it('a stream over the limit is answered as clamd does, then closed; a stream of exactly the limit is scanned', async () => {
    const sub = eicarAware();
    const port = await start(sub, { maxStreamBytes: 100 });
    expect(await exchange(port, ['zINSTREAM\0', chunks(Buffer.alloc(60, 1), Buffer.alloc(41, 1))])).toEqual({ text: 'INSTREAM size limit exceeded. ERROR\0', closed: true });
    expect((await exchange(port, ['zINSTREAM\0', chunks(Buffer.alloc(60, 1), Buffer.alloc(40, 1))])).text).toBe('stream: OK\0');
    // A huge announced length is refused before any of its bytes are read.
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(await exchange(port, ['nINSTREAM\n', huge])).toEqual({ text: 'INSTREAM size limit exceeded. ERROR\n', closed: true });
    expect(sub.submissions).toHaveLength(1);
  });
});

describe('FOUND / OK / ERROR mapping', () => {
  const reply = async (answer: Parameters<typeof fakeSubmitter>[0]): Promise<string> => {
    const port = await start(fakeSubmitter(answer));
    const { text } = await exchange(port, ['zINSTREAM\0', chunks('x')]);
    await server?.close();
    server = null;
    return text;
  };
  const done = (r: ReturnType<typeof resultWith>) => ({ done: true as const, result: r, messageId: null });

  it('FOUND names the first kept virus name: whole message, then parts, rules by name', async () => {
    expect(await reply(() => done(resultWith({ zeta: virusV('Z.One'), alpha: virusV('A.One', 'A.Two') })))).toBe('stream: A.One FOUND\0');
    const r = resultWith({ alpha: virusV('Part.Virus') });
    const whole = { ...r, message_verdicts: { beta: virusV('Whole.Virus') }, symbols: { ...r.symbols, B: { name: 'B', score: 1, options: ['Whole.Virus'] } } };
    expect(await reply(() => done(whole))).toBe('stream: Whole.Virus FOUND\0');
  });

  it('a virus name the aggregation dropped (whitelisted: no symbol) is not FOUND', async () => {
    expect(await reply(() => done(resultWith({ alpha: virusV('Whitelisted.Name') }, {})))).toBe('stream: OK\0');
    const withFile = resultWith({ alpha: virusV('Shown.Name') }, { S: { name: 'S', score: 1, options: ['Shown.Name|a.exe'] } });
    expect(await reply(() => done(withFile))).toBe('stream: Shown.Name FOUND\0');
  });

  it('encrypted and macro verdicts are FOUND with clamd\'s heuristic name, after any virus name', async () => {
    expect(await reply(() => done(resultWith({ a: encryptedV('File is encrypted: Heuristics.Encrypted.Zip') })))).toBe('stream: Heuristics.Encrypted.Zip FOUND\0');
    expect(await reply(() => done(resultWith({ a: macroV('Heuristics.OLE2.ContainsMacros.VBA') })))).toBe('stream: Heuristics.OLE2.ContainsMacros.VBA FOUND\0');
    // Cached verdicts carry Rspamd's generic texts: clamd's generic names.
    expect(await reply(() => done(resultWith({ a: encryptedV('File is encrypted') })))).toBe('stream: Heuristics.Encrypted FOUND\0');
    expect(await reply(() => done(resultWith({ a: macroV('File contains macros') })))).toBe('stream: Heuristics.OLE2.ContainsMacros FOUND\0');
    expect(await reply(() => done(resultWith({ a: encryptedV('File is encrypted: Heuristics.Encrypted.Zip'), b: virusV('Real.Virus') })))).toBe('stream: Real.Virus FOUND\0');
    // Whitelisted (no symbol): not found.
    expect(await reply(() => done(resultWith({ a: encryptedV('File is encrypted') }, {})))).toBe('stream: OK\0');
  });

  it('ERROR when every verdict failed (the first fail text), OK when some rule answered', async () => {
    expect(await reply(() => done(resultWith({ b: failV('second'), a: failV('failed to scan and retransmits exceed') })))).toBe('stream: failed to scan and retransmits exceed ERROR\0');
    expect(await reply(() => done(resultWith({ a: failV('down'), b: cleanV() })))).toBe('stream: OK\0');
    expect(await reply(() => done(resultWith({})))).toBe('stream: OK\0');
    expect(await reply(() => done(resultWith({ a: failV('line\nbreak\0nul') })))).toBe('stream: line break nul ERROR\0');
  });

  it('no verdict by the deadline, and intake refusals, are ERROR lines with their code', async () => {
    expect(await reply(() => ({ done: false, scanId: 's', messageId: null }))).toMatch(/^stream: AVF_ERR_CLAMD_DEADLINE: .* ERROR\0$/);
    expect(await reply(() => Promise.reject(new IntakeError('AVF_ERR_QUEUE_FULL', 'too many scan jobs are waiting', 3)))).toBe('stream: AVF_ERR_QUEUE_FULL: too many scan jobs are waiting (retry in 3 s) ERROR\0');
    expect(await reply(() => Promise.reject(new IntakeError('AVF_ERR_UNAVAILABLE', 'Redis is down', 5)))).toMatch(/^stream: AVF_ERR_UNAVAILABLE: Redis is down \(retry in 5 s\) ERROR\0$/);
    expect(await reply(() => Promise.reject(new Error('bug')))).toMatch(/^stream: AVF_ERR_INTERNAL: .* ERROR\0$/);
  });
});

describe('IDSESSION', () => {
  it('several commands on one connection, replies prefixed with the request number, until END', async () => {
    const sub = eicarAware();
    const port = await start(sub);
    const { text, closed } = await exchange(port, ['zIDSESSION\0', 'zPING\0', 'zINSTREAM\0', chunks(EICAR), 'zVERSION\0', 'zINSTREAM\0', chunks('ok'), 'zEND\0']);
    expect(text).toBe('1: PONG\0' + '2: stream: Eicar-Test-Signature FOUND\0' + '3: avfleet 9.9.9\0' + '4: stream: OK\0');
    expect(closed).toBe(true);
  });

  it('pipelined in one packet, answered in order', async () => {
    const port = await start();
    const all = Buffer.concat([Buffer.from('nIDSESSION\nnINSTREAM\n'), chunks('a'), Buffer.from('nINSTREAM\n'), chunks(EICAR), Buffer.from('nPING\nnEND\n')]);
    expect((await exchange(port, [all])).text).toBe('1: stream: OK\n2: stream: Eicar-Test-Signature FOUND\n3: PONG\n');
  });

  it('a legacy command or a command clamd refuses inside a session ends it with clamd\'s error', async () => {
    const port = await start();
    expect(await exchange(port, ['zIDSESSION\0', 'zPING\0', 'PING\n'])).toEqual({ text: '1: PONG\0' + '2: Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n', closed: true });
    expect(await exchange(port, ['zIDSESSION\0', 'zIDSESSION\0'])).toEqual({ text: '1: Command invalid inside IDSESSION. ERROR\0', closed: true });
    expect(await exchange(port, ['zIDSESSION\0', 'zNOPE\0'])).toEqual({ text: '1: UNKNOWN COMMAND\0', closed: true });
  });

  it('the number of commands in one session is bounded', async () => {
    const port = await start(eicarAware(), { maxSessionCommands: 3 });
    const { text, closed } = await exchange(port, ['zIDSESSION\0' + 'zPING\0'.repeat(5)]);
    expect(text).toBe('1: PONG\0' + '2: PONG\0' + '3: PONG\0' + '4: AVF_ERR_CLAMD_SESSION_LIMIT: more than 3 commands in one IDSESSION; start a new session. ERROR\0');
    expect(closed).toBe(true);
  });
});

describe('limits', () => {
  it('a command line without its terminator is cut off at the bound', async () => {
    const port = await start();
    expect(await exchange(port, ['z' + 'A'.repeat(9000)])).toEqual({ text: '', closed: true });
  });

  it('an idle connection and a slow-drip request are closed', async () => {
    const port = await start(eicarAware(), { idleTimeoutMs: 300, requestTimeoutMs: 600 });
    const started = Date.now();
    expect(await exchange(port, [], 5000)).toEqual({ text: '', closed: true });
    expect(Date.now() - started).toBeLessThan(3000);
    // One byte every 150 ms never goes idle, but the request must be complete within 600 ms.
    const drip = 'zINSTREAM\0'.split('').concat(Array.from({ length: 40 }, () => '\0'));
    const dripped = await new Promise<{ text: string; closed: boolean }>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let i = 0;
      const t = setInterval(() => (i < drip.length && !sock.destroyed ? sock.write(drip[i++] as string) : undefined), 150);
      sock.on('close', () => {
        clearInterval(t);
        resolve({ text: '', closed: true });
      });
      sock.on('error', () => undefined);
    });
    expect(dripped.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('a scan that takes longer than the idle timeout is still answered (the wait is ours, not the client\'s)', async () => {
    const port = await start(fakeSubmitter(async () => {
      await new Promise((r) => setTimeout(r, 900));
      return { done: true, result: resultWith({ clamav: virusV('Slow.Virus') }), messageId: null };
    }), { idleTimeoutMs: 300 });
    expect(await exchange(port, ['zIDSESSION\0', 'zINSTREAM\0', chunks('x'), 'zEND\0'])).toEqual({ text: '1: stream: Slow.Virus FOUND\0', closed: true });
  });

  it('connections over the limit are closed at once; the others are served', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const sub = fakeSubmitter(async () => {
      await gate;
      return { done: true, result: resultWith({ clamav: cleanV() }), messageId: null };
    });
    const port = await start(sub, { maxConnections: 2 });
    const a = exchange(port, ['zINSTREAM\0', chunks('a')]);
    const b = exchange(port, ['zINSTREAM\0', chunks('b')]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await exchange(port, ['zPING\0'])).toEqual({ text: '', closed: true });
    release();
    expect((await a).text).toBe('stream: OK\0');
    expect((await b).text).toBe('stream: OK\0');
    expect((await exchange(port, ['zPING\0'])).text).toBe('PONG\0');
  });

  it('the streams of all connections share one byte budget: over it, a temporary ERROR; the bytes come back after the answer', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const sub = fakeSubmitter(async (s) => {
      if (s.raw.length === 600) await gate;
      return { done: true, result: resultWith({ clamav: cleanV() }), messageId: null };
    });
    const port = await start(sub, { maxStreamBytes: 800, inflightBytes: 1000 });
    const a = exchange(port, ['zINSTREAM\0', chunks(Buffer.alloc(600, 1))]);
    await new Promise((r) => setTimeout(r, 200));
    const b = await exchange(port, ['zINSTREAM\0', chunks(Buffer.alloc(300, 2), Buffer.alloc(300, 2))]);
    expect(b).toEqual({ text: expect.stringMatching(/^stream: AVF_ERR_CLAMD_BUSY: .* ERROR\0$/) as unknown as string, closed: true });
    release();
    expect((await a).text).toBe('stream: OK\0');
    // Everything was given back: a stream of the whole per-stream limit fits again.
    expect((await exchange(port, ['zINSTREAM\0', chunks(Buffer.alloc(800, 3))])).text).toBe('stream: OK\0');
  });

  it('shutdown lets a scan in flight answer', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const port = await start(fakeSubmitter(async () => {
      await gate;
      return { done: true, result: resultWith({ clamav: virusV('Late.Virus') }), messageId: null };
    }));
    const pending = exchange(port, ['zINSTREAM\0', chunks('x')]);
    await new Promise((r) => setTimeout(r, 200));
    const closing = server!.close();
    server = null;
    setTimeout(release, 200);
    await closing;
    expect(await pending).toEqual({ text: 'stream: Late.Virus FOUND\0', closed: true });
  });
});
