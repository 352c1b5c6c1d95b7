import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { ScanResult } from '@avfleet/core';
import { renderTestConfig, startFleet, type Fleet } from './fleet-processes';
import { cleanupPrefix, testPrefix, type ScanDeleteClient } from './redis-prefix';
import { testServices } from './test-services';

/**
 * What the quarantine's integration tests share (README "Quarantine"): a fleet of real
 * `avfleet producer` and `avfleet worker` processes with the quarantine on, against the test
 * clamd, Redis and a folder store; messages with an attachment sent with an envelope; the
 * admin routes; a recording SMTP sink for releases.
 */

export const QUARANTINE_ADMIN_TOKEN = 'quarantine-admin-secret';
const ADMIN_HEADERS = { authorization: `Bearer ${QUARANTINE_ADMIN_TOKEN}` };

/** Mail the sink took: the envelope and the bytes. */
export interface Delivered {
  /** MAIL FROM's address; '' for the null sender `<>`. */
  readonly from: string;
  readonly to: string[];
  readonly raw: Buffer;
}

export interface SmtpSink {
  readonly port: number;
  readonly mail: Delivered[];
  close(): Promise<void>;
}

/** A recording SMTP server on 127.0.0.1 (smtp-server, by nodemailer's authors; no auth, no TLS) on a free port. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mail: Delivered[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mail.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mail, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A message with an attachment; `tag` makes each unique. CRLF line ends, as SMTP carries them. */
export function quarantineMessage(content: Buffer, tag: string): Buffer {
  const lines = [
    'From: sender@example.org', 'To: rcpt@example.org', `Subject: quarantine test ${tag}`, `Message-ID: <${tag}@avfleet.test>`,
    'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="b-${tag}"`, '',
    `--b-${tag}`, 'Content-Type: text/plain', '', 'Hello.', '.leading dot survives SMTP', `--b-${tag}`,
    'Content-Type: application/octet-stream; name="a.com"', 'Content-Disposition: attachment; filename="a.com"', 'Content-Transfer-Encoding: base64', '',
    content.toString('base64'), `--b-${tag}--`, '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/** The envelope quarantineScan sends by default (the `From` and `Rcpt` headers of /scans). */
export interface ScanEnvelope {
  readonly from: string;
  readonly rcpt: readonly string[];
}
export const QUARANTINE_ENVELOPE: ScanEnvelope = { from: '<bounce@example.org>', rcpt: ['one@example.net', 'two@example.net'] };

/** POST /scans?wait=30 with the envelope and queue id; the result, or an error with the fleet's logs. */
export async function quarantineScan(fleet: Fleet, raw: Buffer, queueId: string, envelope: ScanEnvelope = QUARANTINE_ENVELOPE): Promise<ScanResult> {
  const headers: [string, string][] = [['content-type', 'message/rfc822'], ['from', envelope.from], ['queue-id', queueId], ...envelope.rcpt.map((r): [string, string] => ['rcpt', r])];
  const res = await fetch(`${fleet.apiUrl}/scans?wait=30`, { method: 'POST', body: raw, headers });
  const json = (await res.json()) as ScanResult;
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status} ${JSON.stringify(json)}\n${fleet.logs()}`);
  return json;
}

/** A request to the producer (the admin token by default): status, JSON when the body is JSON, the bytes and the content type. */
export async function quarantineApi(fleet: Fleet, method: string, path: string, headers: Record<string, string> = ADMIN_HEADERS): Promise<{ status: number; json: unknown; body: Buffer; type: string | null }> {
  const res = await fetch(`${fleet.apiUrl}${path}`, { method, headers });
  const body = Buffer.from(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, json, body, type: res.headers.get('content-type') };
}

/**
 * Fleets with the quarantine on (AVFLEET_QUARANTINE=reject plus `env`), each under its own
 * Redis prefix and store folder; `cleanup` stops them and removes their keys and folders.
 */
export function quarantineFleets(testFile: string): {
  launch(label: string, env: Readonly<Record<string, string>>): Promise<{ fleet: Fleet; prefix: string; storeDir: string }>;
  cleanup(redis: ScanDeleteClient): Promise<void>;
} {
  const services = testServices();
  const prefixes: string[] = [];
  const fleets: Fleet[] = [];
  const dirs: string[] = [];
  return {
    async launch(label, env) {
      const prefix = testPrefix(`${testFile.replace(/^.*\//, '').replace(/\..*$/, '')}-${label}`);
      prefixes.push(prefix);
      const configPath = renderTestConfig('reference-clamav.conf', { CLAMD: `${services.clamd.host}:${services.clamd.port}`, PREFIX: `${prefix}cache_` });
      dirs.push(dirname(configPath));
      const storeDir = mkdtempSync(join(tmpdir(), 'avft-quarantine-'));
      dirs.push(storeDir);
      const fleet = await startFleet({
        configPath,
        env: { AVFLEET_QUEUE_PREFIX: prefix.slice(0, -1), AVFLEET_REDIS_URL: services.redisUrl, AVFLEET_STORE: storeDir, AVFLEET_QUARANTINE: 'reject', ...env },
      });
      fleets.push(fleet);
      return { fleet, prefix, storeDir };
    },
    async cleanup(redis) {
      await Promise.allSettled(fleets.map((f) => f.stop()));
      for (const p of prefixes) await cleanupPrefix(redis, p);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
