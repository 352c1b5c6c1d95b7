import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AttemptEvent, AttemptObserver, Scanner, ScanBody } from '../../src/scanner';
import type { ScannerCommonOptions } from '../../src/scanner-options';
import { FAIL_RETRANSMITS_EXCEED } from '../../src/transport/with-retransmits';
import { fail, type Verdict } from '../../src/verdict';

/**
 * One contract every scanner client passes against its simulator: clean,
 * infected, several names, encrypted, macro, error replies, size limit, a
 * reply slower than the timeout, a reset, garbage, a refused connection and,
 * for clients that pass a temp file, the file's name, permissions and removal.
 * A small adapter per scanner says how to start its simulator, build its
 * client and what each case must give.
 */

export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

/** What the suite needs from a simulator (test/simulators/* satisfy it structurally). */
export interface ConformanceSimulator {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly requests: readonly Buffer[];
  readonly files: readonly { readonly path: string; readonly mode: number | null; readonly content: Buffer | null }[];
  use(scenario: string): void;
  close(): Promise<void>;
}

export interface ConformanceCase {
  readonly title?: string;
  readonly scenario: string;
  readonly expect: Verdict;
  /** Defaults to EICAR. */
  readonly body?: Buffer;
  /** Connections the scan must open (default 1). */
  readonly connections?: number;
}

/** How a client reacts to an I/O fault once the request is out: retried (most), or final (SAVAPI after SCAN). */
export type FaultHandling = { readonly retried: true } | { readonly retried: false; readonly textStartsWith: string };

/** What the suite varies when it builds a client; the adapter adds the rest. */
export interface ConformanceClientOptions {
  readonly timeoutSec: number;
  readonly retransmits: number;
  readonly tmpdir: string;
  readonly onAttempt?: AttemptObserver;
}

export interface ScannerConformanceAdapter {
  readonly type: string;
  start(): Promise<ConformanceSimulator>;
  create(target: { readonly host: string; readonly port: number }, o: ConformanceClientOptions): Scanner;
  /** `tmp` / `avtmp` when the body travels as a temp file path. */
  readonly tempFileExt?: string;
  /** Checks the request bytes of the clean case. */
  checkRequest?(request: Buffer, body: Buffer, tempPath: string | null): void;
  readonly cases: {
    readonly clean: ConformanceCase;
    readonly infected: ConformanceCase;
    readonly severalNames?: ConformanceCase;
    readonly encrypted?: ConformanceCase;
    readonly macro?: ConformanceCase;
    readonly errorCodes: readonly ConformanceCase[];
    readonly sizeLimit?: ConformanceCase;
    readonly garbage: ConformanceCase;
    /**
     * The server answers before it has read the whole request and closes (the
     * body defaults to EARLY_REPLY_BODY, large enough that writing it breaks):
     * the reply counts, once, held in memory and streamed.
     */
    readonly earlyReply?: ConformanceCase;
    /** Protocol-specific cases (documented defects and decisions). */
    readonly extra?: readonly ConformanceCase[];
  };
  /** Scenario names of the fault behaviours (default `slow`, `reset`). */
  readonly slow: { readonly scenario?: string } & FaultHandling;
  readonly reset: { readonly scenario?: string } & FaultHandling;
  /** A refused connection (default: retried like `reset`). Hash services never retry. */
  readonly refused?: FaultHandling;
  /** The verdict once retries are used up (default `FAIL("failed to scan and retransmits exceed")`; ICAP words it differently). */
  readonly exhausted?: (reason: 'timeout' | 'error') => unknown;
}

const TIMEOUT_SEC = 0.4;
const RETRANSMITS = 1;

/** The client options of an adapter's `create`: one TCP server (the simulator), the suite's timeout, retransmits and observer. */
export function socketOptions(target: { host: string; port: number }, o: ConformanceClientOptions): ScannerCommonOptions {
  return {
    servers: { strategy: 'round-robin', explicitStrategy: false, entries: [{ kind: 'tcp', host: target.host, port: target.port, priority: 0 }] },
    timeoutSec: o.timeoutSec,
    retransmits: o.retransmits,
    ...(o.onAttempt ? { onAttempt: o.onAttempt } : {}),
  };
}

/** One case of an adapter's table. */
export const conformanceCase = <S extends string>(scenario: S, expect: ConformanceCase['expect'], more: Partial<ConformanceCase> = {}): ConformanceCase => ({
  scenario,
  expect,
  ...more,
});

/** 4 MiB and EICAR: more than the socket buffers take, so a client still writing it sees the close. */
export const EARLY_REPLY_BODY = Buffer.concat([Buffer.alloc(4 * 1024 * 1024, 0x41), EICAR]);

export function bufferBody(b: Buffer): ScanBody {
  return { size: b.length, buffer: b, open: () => { throw new Error('buffer body: open() not expected'); } };
}

export function describeScannerConformance(adapter: ScannerConformanceAdapter): void {
  const exhausted = (reason: 'timeout' | 'error'): unknown => adapter.exhausted?.(reason) ?? fail(FAIL_RETRANSMITS_EXCEED, reason);
  describe(`${adapter.type} conformance`, () => {
    let sim: ConformanceSimulator;
    let tmpdir: string;
    let scanner: Scanner;
    beforeAll(async () => {
      sim = await adapter.start();
    });
    afterAll(async () => {
      await sim.close();
    });
    beforeEach(() => {
      tmpdir = mkdtempSync(path.join(os.tmpdir(), `avf-${adapter.type}-`));
      scanner = adapter.create(sim, { timeoutSec: TIMEOUT_SEC, retransmits: RETRANSMITS, tmpdir });
    });
    afterEach(() => {
      if (adapter.tempFileExt) expect(readdirSync(tmpdir)).toEqual([]); // temp files are always removed
      rmSync(tmpdir, { recursive: true, force: true });
    });

    async function run(c: ConformanceCase): Promise<void> {
      sim.use(c.scenario);
      const before = sim.connections;
      const filesBefore = sim.files.length;
      const body = c.body ?? EICAR;
      expect(await scanner.scan(bufferBody(body))).toEqual(c.expect);
      expect(sim.connections - before).toBe(c.connections ?? 1);
      if (adapter.tempFileExt) checkTempFiles(sim.files.slice(filesBefore), body);
      if (adapter.tempFileExt && c === adapter.cases.clean) expect(sim.files.length).toBeGreaterThan(filesBefore);
    }

    function checkTempFiles(seen: ConformanceSimulator['files'], body: Buffer): void {
      // Dialogues that end before the path is sent (bad greeting, reset) show no file; the request test checks one is sent.
      for (const f of seen) {
        expect(path.dirname(f.path)).toBe(tmpdir);
        expect(path.basename(f.path)).toMatch(new RegExp(`^[0-9a-f]{32}\\.${adapter.tempFileExt}$`));
        expect(f.mode).toBe(0o600);
        expect(f.content?.equals(body)).toBe(true);
      }
      expect(new Set(seen.map((f) => f.path)).size).toBeLessThanOrEqual(1); // retries reuse the one file
    }

    const named = (title: string, c: ConformanceCase | undefined): void => {
      if (c) it(`${title}${c.title ? `: ${c.title}` : ''} (${c.scenario})`, () => run(c));
    };
    named('clean', adapter.cases.clean);
    named('infected', adapter.cases.infected);
    named('several names', adapter.cases.severalNames);
    named('encrypted', adapter.cases.encrypted);
    named('macro', adapter.cases.macro);
    adapter.cases.errorCodes.forEach((c) => named('error reply', c));
    named('size limit', adapter.cases.sizeLimit);
    named('garbage', adapter.cases.garbage);
    (adapter.cases.extra ?? []).forEach((c) => named('protocol case', c));

    const early = adapter.cases.earlyReply;
    if (early) {
      it(`uses a reply that arrived before writing the request broke${early.title ? `: ${early.title}` : ''} (${early.scenario})`, async () => {
        const events: AttemptEvent[] = [];
        const s = adapter.create(sim, { timeoutSec: 2, retransmits: RETRANSMITS, tmpdir, onAttempt: (e) => events.push(e) });
        const body = early.body ?? EARLY_REPLY_BODY;
        const { Readable } = await import('node:stream');
        const pieces = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
        const streamed: ScanBody = { size: body.length, open: () => Readable.from(pieces) };
        sim.use(early.scenario);
        for (const b of [bufferBody(body), streamed]) {
          const before = sim.connections;
          expect(await s.scan(b)).toEqual(early.expect);
          expect(sim.connections - before).toBe(early.connections ?? 1);
        }
        expect(events.map((e) => e.ok)).toEqual([true, true]);
      });
    }

    it('sends the request bytes of the spec', async () => {
      sim.use(adapter.cases.clean.scenario);
      const before = sim.requests.length;
      await scanner.scan(bufferBody(EICAR));
      const seen = sim.files.at(-1);
      adapter.checkRequest?.(sim.requests[before]!, EICAR, adapter.tempFileExt && seen ? seen.path : null);
      expect(sim.requests.length - before).toBe(1);
    });

    it('streams a body that is not held in memory', async () => {
      sim.use(adapter.cases.infected.scenario);
      const { Readable } = await import('node:stream');
      const body: ScanBody = { size: EICAR.length, open: () => Readable.from([EICAR.subarray(0, 10), EICAR.subarray(10)]) };
      expect(await scanner.scan(body)).toEqual(adapter.cases.infected.expect);
    });

    it(`times out a reply slower than the timeout (one budget per attempt, D1)`, async () => {
      sim.use(adapter.slow.scenario ?? 'slow');
      const before = sim.connections;
      const attempts = adapter.slow.retried ? 1 + RETRANSMITS : 1;
      const started = Date.now();
      const v = await scanner.scan(bufferBody(EICAR));
      const elapsed = Date.now() - started;
      if (adapter.slow.retried) expect(v).toEqual(exhausted('timeout'));
      else expect(v).toMatchObject({ kind: 'fail', reason: 'timeout', text: expect.stringContaining(adapter.slow.textStartsWith) });
      expect(sim.connections - before).toBe(attempts);
      const expected = attempts * TIMEOUT_SEC * 1000;
      expect(elapsed).toBeGreaterThanOrEqual(expected - 50);
      expect(elapsed).toBeLessThanOrEqual(2 * expected + 1000);
    });

    it('treats a connection reset as an I/O error', async () => {
      sim.use(adapter.reset.scenario ?? 'reset');
      const before = sim.connections;
      const v = await scanner.scan(bufferBody(EICAR));
      if (adapter.reset.retried) {
        expect(v).toEqual(exhausted('error'));
        expect(sim.connections - before).toBe(1 + RETRANSMITS);
      } else {
        expect(v).toMatchObject({ kind: 'fail', text: expect.stringMatching(new RegExp(`^${adapter.reset.textStartsWith}`)) });
        expect(sim.connections - before).toBe(1);
      }
    });

    it('fails after 1 + retransmits attempts when the connection is refused', async () => {
      const port = await closedPort();
      const events: AttemptEvent[] = [];
      const s = adapter.create({ host: '127.0.0.1', port }, { timeoutSec: TIMEOUT_SEC, retransmits: RETRANSMITS, tmpdir, onAttempt: (e) => events.push(e) });
      const v = await s.scan(bufferBody(EICAR));
      const refused = adapter.refused ?? { retried: true };
      if (refused.retried) expect(v).toEqual(exhausted('error'));
      else expect(v).toMatchObject({ kind: 'fail', reason: 'error', text: expect.stringMatching(new RegExp(`^${refused.textStartsWith}`)) });
      expect(events.map((e) => e.ok)).toEqual(Array(refused.retried ? 1 + RETRANSMITS : 1).fill(false));
      expect(events[0]!.error).toMatch(/AVF_ERR_TRANSPORT_CONNECT/);
    });

    if (adapter.tempFileExt) {
      it('answers FAIL("cannot store temporary file: …") when tmpdir is unusable, without connecting (D2)', async () => {
        sim.use(adapter.cases.clean.scenario);
        const before = sim.connections;
        const s = adapter.create(sim, { timeoutSec: TIMEOUT_SEC, retransmits: RETRANSMITS, tmpdir: path.join(tmpdir, 'missing', 'dir') });
        const v = await s.scan(bufferBody(EICAR));
        expect(v).toMatchObject({ kind: 'fail', reason: 'error', text: expect.stringMatching(/^cannot store temporary file: .*ENOENT/) });
        expect(sim.connections).toBe(before);
      });
    }
  });
}

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
