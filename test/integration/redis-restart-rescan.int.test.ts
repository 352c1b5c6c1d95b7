import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EICAR_TEST_STRING, FolderObjectStore, messageKey, scanIdTime, scanJobId, type ScanResult } from '@avfleet/core';
import { freePort, startFleetProcess, type FleetProcess } from '../helpers/fleet-processes';
import { jsonLogLines } from '../helpers/json-log-lines';
import { startPrivateRedis, type PrivateRedis } from '../helpers/start-redis';
import { testServices } from '../helpers/test-services';
import { waitUntil } from '../helpers/wait-until';

/**
 * Redis restarted without persistence after scans were accepted (202) and before any
 * worker took them: every scan state and part job is gone, while the messages are in the
 * store. The producer that accepted them enqueues them again (queue/reconcile-scans.ts):
 * `GET /scans/:id` answers `rescanning` instead of 404, and every scan ends with its
 * right verdict once a worker runs. A result lost after it was delivered is rebuilt from
 * the stored message and the request stored with it (D69): `rescanning`, then the same
 * verdict, for messages whose request headers (IP whitelist, Score) decide it. A message
 * stored without its request (before D69) answers 410 AVF_ERR_RESULT_LOST. A part job
 * lost alone (its scan's state kept) is added again.
 */

jest.setTimeout(120000);

/** The reconciler's first check comes 10 s after a scan was enqueued, its sweep every 2 s: 2x + 1 s. */
const RECONCILE_BOUND_MS = 2 * 12_000 + 1000;

let dir: string;
let redis: PrivateRedis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'avft-redis-restart-'));
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await redis?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function message(i: number, virus: boolean): Buffer {
  const body = virus ? `${EICAR_TEST_STRING}\r\nrestart ${i} ${Date.now()}` : `clean restart ${i} ${Date.now()}`;
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: restart ${i}\r\nMessage-ID: <restart.${i}.${Date.now()}@avfleet.test>\r\n\r\n${body}\r\n`, 'latin1');
}

test('accepted scans lost with a Redis restarted without persistence are enqueued again: rescanning, then their right verdicts', async () => {
  const { clamd } = testServices();
  const conf = join(dir, 'antivirus.conf');
  writeFileSync(conf, `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  fail_action = "soft reject";\n  servers = "${clamd.host}:${clamd.port}";\n}\n`);
  const env = { AVFLEET_REDIS_URL: redis.url, AVFLEET_STORE: join(dir, 'store'), AVFLEET_QUEUE_PREFIX: 'avft-restart' };
  let producer: FleetProcess | undefined;
  let worker: FleetProcess | undefined;
  try {
    producer = await startFleetProcess({ role: 'producer', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const api = producer.baseUrl;
    const scans: { id: string; virus: boolean }[] = [];
    for (let i = 0; i < 12; i += 1) {
      const res = await fetch(`${api}/scans?wait=0`, { method: 'POST', body: message(i, i % 2 === 0), signal: AbortSignal.timeout(20000) });
      expect(res.status).toBe(202);
      scans.push({ id: ((await res.json()) as { id: string }).id, virus: i % 2 === 0 });
    }
    const acceptedAt = Date.now();
    await redis.stop();
    await redis.start();
    // Before the reconciler's first sweep could reach it: asked for, the lost scan is enqueued again at once.
    let first: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
    await waitUntil(async () => {
      const res = await fetch(`${api}/scans/${scans[0]!.id}`, { signal: AbortSignal.timeout(5000) });
      first = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      return res.status !== 503;
    }, { timeoutMs: 5000, intervalMs: 100, failureMessage: () => `GET kept answering 503: ${JSON.stringify(first)}` });
    expect(Date.now() - acceptedAt).toBeLessThan(10_000);
    expect(first).toEqual({ status: 200, body: { id: scans[0]!.id, state: 'rescanning' } });
    // The others, nobody asking: the reconciler's sweep finds them lost and enqueues them again.
    let metrics = '';
    await waitUntil(async () => {
      metrics = await (await fetch(`${api}/metrics`)).text();
      return /avfleet_scans_reenqueued_total\{reason="state_lost"\} 12\n/.test(metrics);
    }, { timeoutMs: RECONCILE_BOUND_MS, intervalMs: 250, failureMessage: () => `not every lost scan was enqueued again:\n${metrics.split('\n').filter((l) => l.includes('reenqueued')).join('\n')}\n${producer!.logs().slice(-3000)}` });

    worker = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const results = new Map<string, ScanResult>();
    await waitUntil(async () => {
      for (const s of scans.filter((x) => !results.has(x.id))) {
        const res = await fetch(`${api}/scans/${s.id}`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as ScanResult & { state: string };
        if (res.status === 200 && body.state === 'done') results.set(s.id, body);
      }
      return results.size === scans.length;
    }, { timeoutMs: RECONCILE_BOUND_MS, intervalMs: 500, failureMessage: () => `${scans.length - results.size} scans never finished:\n${producer!.logs().slice(-3000)}` });
    for (const s of scans) expect({ id: s.id, action: results.get(s.id)?.action }).toEqual({ id: s.id, action: s.virus ? 'reject' : 'no action' });
    // Logged: the scan asked for on its own line, the 11 others by the sweep (one line per sweep that found some).
    const lines = (jsonLogLines(producer.logs()) as Record<string, unknown>[]).filter((l) => l.code === 'AVF_WARN_SCANS_REENQUEUED');
    expect(lines.filter((l) => l.scanId === scans[0]!.id)).toHaveLength(1);
    expect(lines.reduce((n, l) => n + Number(l.stateLost ?? 0), 0)).toBe(12);

  } finally {
    await worker?.stop();
    await producer?.stop();
  }
});

test('a part job Redis lost (its scan state kept) is added again: the scan finishes, counted as jobs_lost', async () => {
  const { clamd } = testServices();
  const conf = join(dir, 'antivirus-parts.conf');
  writeFileSync(conf, `clamav {\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  fail_action = "soft reject";\n  servers = "${clamd.host}:${clamd.port}";\n}\n`);
  const prefix = 'avft-lostjob';
  const env = { AVFLEET_REDIS_URL: redis.url, AVFLEET_STORE: join(dir, 'store-parts'), AVFLEET_QUEUE_PREFIX: prefix };
  const connection = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
  const queue = new Queue('clamav', { connection, prefix });
  let producer: FleetProcess | undefined;
  let worker: FleetProcess | undefined;
  try {
    producer = await startFleetProcess({ role: 'producer', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const api = producer.baseUrl;
    const raw = Buffer.from([
      'From: a@example.org', 'To: b@example.org', 'Subject: lost job', `Message-ID: <lostjob.${Date.now()}@avfleet.test>`,
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b', 'Content-Type: application/octet-stream; name="a.bin"', 'Content-Disposition: attachment; filename="a.bin"', '', `clean a ${Date.now()}`,
      '--b', 'Content-Type: application/octet-stream; name="b.bin"', 'Content-Disposition: attachment; filename="b.bin"', '', `${EICAR_TEST_STRING}\r\nb ${Date.now()}`,
      '--b--', '',
    ].join('\r\n'), 'latin1');
    const res = await fetch(`${api}/scans?wait=0`, { method: 'POST', body: raw, signal: AbortSignal.timeout(20000) });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.id).sort()).toEqual([scanJobId(id, 'clamav', '1'), scanJobId(id, 'clamav', '2')].sort());
    // The part job of the EICAR attachment is lost (as an add the failed-over master had not replicated).
    expect(await queue.remove(scanJobId(id, 'clamav', '2'))).toBe(1);
    worker = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    let result: (ScanResult & { state: string }) | null = null;
    await waitUntil(async () => {
      const r = await fetch(`${api}/scans/${id}`, { signal: AbortSignal.timeout(5000) });
      result = (await r.json()) as ScanResult & { state: string };
      return result.state === 'done';
    }, { timeoutMs: RECONCILE_BOUND_MS, intervalMs: 500, failureMessage: () => `the scan never finished: ${JSON.stringify(result)}\n${producer!.logs().slice(-3000)}` });
    expect(result!.action).toBe('reject');
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/avfleet_scans_reenqueued_total\{reason="jobs_lost"\} 1\n/);
    expect(metrics).not.toMatch(/avfleet_scans_reenqueued_total\{reason="state_lost"\}/);
  } finally {
    await worker?.stop();
    await producer?.stop();
    await queue.close();
    connection.disconnect();
  }
});

test('results delivered, then lost with Redis, are rebuilt from the stored message and request: rescanning, then the same verdicts the request headers decided', async () => {
  const { clamd } = testServices();
  const whitelist = join(dir, 'ips.map');
  writeFileSync(whitelist, '192.0.2.0/24\n');
  const conf = join(dir, 'antivirus-rebuild.conf');
  // Two rules on one clamd: `clamav` skips whitelisted client IPs, `clamav_dyn` skips messages whose Score is past 2 x reject.
  writeFileSync(conf, [
    `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  whitelist = "${whitelist}";\n  servers = "${clamd.host}:${clamd.port}";\n}`,
    `clamav_dyn {\n  type = "clamav";\n  scan_mime_parts = false;\n  symbol = "CLAM_DYN_VIRUS";\n  dynamic_scan = true;\n  servers = "${clamd.host}:${clamd.port}";\n}`,
  ].join('\n'));
  const store = join(dir, 'store-rebuild');
  const env = { AVFLEET_REDIS_URL: redis.url, AVFLEET_STORE: store, AVFLEET_QUEUE_PREFIX: 'avft-rebuild' };
  // Each needs its request headers for its verdict: a rescan without them would add the skipped rule's symbol.
  const sent: { name: string; virus: boolean; headers: Record<string, string> }[] = [
    { name: 'whitelisted IP', virus: true, headers: { IP: '192.0.2.5', Score: '0', 'Queue-Id': 'QWL1' } },
    { name: 'Score past 2 x reject', virus: true, headers: { IP: '198.51.100.7', Score: '100', 'Queue-Id': 'QDS1' } },
    { name: 'both rules', virus: true, headers: { IP: '198.51.100.8', 'Queue-Id': 'QBO1' } },
    { name: 'clean', virus: false, headers: { IP: '198.51.100.9', Score: '100', 'Queue-Id': 'QCL1' } },
  ];
  let producer: FleetProcess | undefined;
  let worker: FleetProcess | undefined;
  try {
    producer = await startFleetProcess({ role: 'producer', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    worker = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const api = producer.baseUrl;
    const first = new Map<string, ScanResult>();
    for (const [i, m] of sent.entries()) {
      const res = await fetch(`${api}/scans?wait=20`, { method: 'POST', body: message(100 + i, m.virus), headers: m.headers, signal: AbortSignal.timeout(30000) });
      expect({ name: m.name, status: res.status }).toEqual({ name: m.name, status: 200 });
      const result = (await res.json()) as ScanResult;
      first.set(m.name, result);
    }
    // The headers decided: the whitelisted IP skipped `clamav`, the Score skipped `clamav_dyn`.
    const symbolsOf = (r: ScanResult | undefined): string[] => Object.keys(r?.symbols ?? {}).sort();
    expect(sent.map((m) => [m.name, symbolsOf(first.get(m.name)), first.get(m.name)?.queue_id])).toEqual([
      ['whitelisted IP', ['CLAM_DYN_VIRUS'], 'QWL1'], ['Score past 2 x reject', ['CLAM_VIRUS'], 'QDS1'],
      ['both rules', ['CLAM_DYN_VIRUS', 'CLAM_VIRUS'], 'QBO1'], ['clean', [], 'QCL1'],
    ]);
    expect(first.get('whitelisted IP')?.skipped).toEqual({ clamav: 'whitelist_ip' });
    expect(first.get('Score past 2 x reject')?.skipped).toEqual({ clamav_dyn: 'dynamic_scan' });

    // No worker while Redis is gone and back: the rebuilt scans wait, so their state can be seen.
    await worker.stop();
    worker = undefined;
    await redis.stop();
    await redis.start();
    const ids = sent.map((m) => first.get(m.name)!.id);
    const seen = new Map<string, { status: number; body: Record<string, unknown> }>();
    await waitUntil(async () => {
      for (const id of ids) {
        const res = await fetch(`${api}/scans/${id}`, { signal: AbortSignal.timeout(5000) });
        seen.set(id, { status: res.status, body: (await res.json()) as Record<string, unknown> });
      }
      return [...seen.values()].every((r) => r.status !== 503);
    }, { timeoutMs: 10000, intervalMs: 200, failureMessage: () => `GET kept answering 503: ${JSON.stringify([...seen])}` });
    for (const id of ids) expect(seen.get(id)).toEqual({ status: 200, body: { id, state: 'rescanning' } });
    // Asked again while enqueued: still rescanning (one enqueue per scan).
    for (const id of ids) expect(await (await fetch(`${api}/scans/${id}`)).json()).toEqual({ id, state: 'rescanning' });
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`avfleet_scans_reenqueued_total\\{reason="result_lost"\\} ${ids.length}\\n`));

    worker = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const again = new Map<string, ScanResult>();
    await waitUntil(async () => {
      for (const id of ids.filter((x) => !again.has(x))) {
        const res = await fetch(`${api}/scans/${id}`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as ScanResult;
        if (res.status === 200 && body.state === 'done') again.set(id, body);
      }
      return again.size === ids.length;
    }, { timeoutMs: 20000, intervalMs: 250, failureMessage: () => `${ids.length - again.size} rebuilt scans never finished:\n${producer!.logs().slice(-3000)}` });
    const verdictOf = (r: ScanResult | undefined) => r && { id: r.id, state: r.state, action: r.action, score: r.score, symbols: r.symbols, skipped: r.skipped, queue_id: r.queue_id, message: r.message };
    for (const m of sent) {
      const before = first.get(m.name)!;
      expect({ name: m.name, verdict: verdictOf(again.get(before.id)) }).toEqual({ name: m.name, verdict: verdictOf(before) });
    }
    // The stored messages are the messages as sent: the request is kept beside them in the object, not in their bytes.
    const folder = new FolderObjectStore(store);
    for (const [i, m] of sent.entries()) {
      const id = first.get(m.name)!.id;
      const key = messageKey(id, new Date(scanIdTime(id)!));
      expect((await folder.get(key)).toString('latin1').startsWith(`From: a@example.org\r\nTo: b@example.org\r\nSubject: restart ${100 + i}\r\n`)).toBe(true);
      expect(readFileSync(folder.pathFor(key), 'latin1')).toContain(`avfleet-request/1 ${id} `);
    }

    // A message stored without its request (as a producer before D69 stored it) cannot be rescanned as it was: 410, resubmit.
    const legacyId = first.get('clean')!.id;
    const legacyKey = messageKey(legacyId, new Date(scanIdTime(legacyId)!));
    await folder.putMessage(legacyId, await folder.get(legacyKey), new Date(scanIdTime(legacyId)!));
    await redis.stop();
    await redis.start();
    let lost: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
    await waitUntil(async () => {
      const res = await fetch(`${api}/scans/${legacyId}`, { signal: AbortSignal.timeout(5000) });
      lost = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      return res.status !== 503;
    }, { timeoutMs: 10000, intervalMs: 100, failureMessage: () => `GET kept answering 503: ${JSON.stringify(lost)}` });
    expect(lost.status).toBe(410);
    expect(lost.body).toMatchObject({ error: { code: 'AVF_ERR_RESULT_LOST' } });
  } finally {
    await worker?.stop();
    await producer?.stop();
  }
});

test('a producer killed together with a Redis restart: the next producer finds the fleet marker gone and rebuilds the accepted scans from the store', async () => {
  const { clamd } = testServices();
  const whitelist = join(dir, 'ips-recover.map');
  writeFileSync(whitelist, '192.0.2.0/24\n');
  const conf = join(dir, 'antivirus-recover.conf');
  writeFileSync(conf, [
    `clamav {\n  scan_mime_parts = false;\n  symbol = "CLAM_VIRUS";\n  action = "reject";\n  fail_action = "soft reject";\n  whitelist = "${whitelist}";\n  servers = "${clamd.host}:${clamd.port}";\n}`,
    `clamav_dyn {\n  type = "clamav";\n  scan_mime_parts = false;\n  symbol = "CLAM_DYN_VIRUS";\n  dynamic_scan = true;\n  fail_action = "soft reject";\n  servers = "${clamd.host}:${clamd.port}";\n}`,
  ].join('\n'));
  const env = { AVFLEET_REDIS_URL: redis.url, AVFLEET_STORE: join(dir, 'store-recover'), AVFLEET_QUEUE_PREFIX: 'avft-recover' };
  const sent: { virus: boolean; headers: Record<string, string>; symbols: string[] }[] = [
    { virus: true, headers: { IP: '192.0.2.5', 'Queue-Id': 'QR1' }, symbols: ['CLAM_DYN_VIRUS'] },
    { virus: true, headers: { IP: '198.51.100.7', Score: '100', 'Queue-Id': 'QR2' }, symbols: ['CLAM_VIRUS'] },
    { virus: false, headers: { IP: '198.51.100.9', 'Queue-Id': 'QR3' }, symbols: [] },
  ];
  let first: FleetProcess | undefined;
  let producer: FleetProcess | undefined;
  let worker: FleetProcess | undefined;
  try {
    first = await startFleetProcess({ role: 'producer', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const ids: string[] = [];
    for (const [i, m] of sent.entries()) {
      const res = await fetch(`${first.baseUrl}/scans?wait=0`, { method: 'POST', body: message(200 + i, m.virus), headers: m.headers, signal: AbortSignal.timeout(20000) });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const acceptedAt = Date.now();
    // The producer that tracked them dies, and Redis loses everything it held.
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(async () => first!.exitStatus() !== undefined, { timeoutMs: 5000, intervalMs: 50, failureMessage: () => 'the producer did not die' });
    first = undefined;
    await redis.stop();
    await redis.start();
    producer = await startFleetProcess({ role: 'producer', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    worker = await startFleetProcess({ role: 'worker', configPath: conf, listen: `127.0.0.1:${await freePort()}`, env });
    const api = producer.baseUrl;
    // Nobody asks: the recovery sweep rebuilds them once they are 30 s old (their accept could not still be under way).
    let metrics = '';
    await waitUntil(async () => {
      metrics = await (await fetch(`${api}/metrics`)).text();
      return new RegExp(`avfleet_scans_reenqueued_total\\{reason="result_lost"\\} ${ids.length}\\n`).test(metrics);
    }, { timeoutMs: 2 * (30_000 + 4_000 - (Date.now() - acceptedAt)) + 1000, intervalMs: 500, failureMessage: () => `the stored scans were not rebuilt:\n${metrics.split('\n').filter((l) => l.includes('reenqueued')).join('\n')}\n${producer!.logs().slice(-3000)}` });
    const lines = (jsonLogLines(producer.logs()) as Record<string, unknown>[]).filter((l) => l.code === 'AVF_WARN_REDIS_DATA_LOST');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ stored: ids.length });
    const results = new Map<string, ScanResult>();
    await waitUntil(async () => {
      for (const id of ids.filter((x) => !results.has(x))) {
        const res = await fetch(`${api}/scans/${id}`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as ScanResult;
        if (res.status === 200 && body.state === 'done') results.set(id, body);
      }
      return results.size === ids.length;
    }, { timeoutMs: 20000, intervalMs: 250, failureMessage: () => `${ids.length - results.size} rebuilt scans never finished:\n${producer!.logs().slice(-3000)}` });
    // The verdicts the request headers decided (a rescan without them would add the skipped rule's symbol).
    expect(ids.map((id) => [Object.keys(results.get(id)!.symbols).sort(), results.get(id)!.queue_id])).toEqual(sent.map((m) => [m.symbols, m.headers['Queue-Id']]));
  } finally {
    if (first) process.kill(first.pid, 'SIGKILL');
    await worker?.stop();
    await producer?.stop();
  }
});
