import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EICAR_TEST_STRING } from '@avfleet/core';
import { requireExecutable } from '../helpers/daemon-process';
import { freePort } from '../helpers/fleet-processes';
import { startFleetUnderTest, type FleetUnderTest } from '../helpers/fleet-under-test';

/**
 * The milter front end against an independent implementation of the MTA side: `miltertest`
 * (Debian package `miltertest`, from OpenDKIM) runs a Lua script that negotiates, sends a
 * connection, an envelope, headers and a body, and checks what the milter asked for at the
 * end of the message: an infected message and a clean one on the same milter connection.
 */

jest.setTimeout(90_000);

const run = promisify(execFile);
const EICAR_NAME = 'Eicar-Test-Signature.UNOFFICIAL';

const wholeMessageRule = `
clamav {
  scan_mime_parts = false;
  symbol = "CLAM_VIRUS";
  symbol_fail = "CLAM_VIRUS_FAIL";
  type = "clamav";
  action = "reject";
  message = '\${SCANNER}: virus found: "\${VIRUS}"';
  servers = "\${CLAMD}";
  timeout = 10;
  prefix = "\${PREFIX}clamav_";
}`;

/** A Lua long string: no escaping inside `[==[ … ]==]`. */
const lua = (s: string): string => `[==[${s}]==]`;

function script(milterPort: number): string {
  return `
local conn = mt.connect("inet:${milterPort}@127.0.0.1", 40, 0.25)
if conn == nil then error("cannot connect to the milter") end
mt.set_timeout(60)
local err = mt.negotiate(conn, nil, nil, nil)
if err ~= nil then error("negotiation failed: " .. err) end
if not mt.test_action(conn, SMFIF_ADDHDRS) then error("the milter did not ask to add headers") end
local lead = ""
if mt.test_option(conn, SMFIP_HDR_LEADSPC) then lead = " " end

mt.conninfo(conn, "client.example.org", "192.0.2.7")
mt.helo(conn, "client.example.org")

function send(queue_id, subject, body)
  mt.macro(conn, SMFIC_MAIL, "i", queue_id)
  mt.mailfrom(conn, "<a@example.org>")
  mt.rcptto(conn, "<b@example.net>")
  mt.header(conn, "From", lead .. "a@example.org")
  mt.header(conn, "Subject", lead .. subject)
  mt.eoh(conn)
  mt.bodystring(conn, body)
  mt.eom(conn)
end

send("QID1", "infected", ${lua(`${EICAR_TEST_STRING}\r\n`)})
if not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", ${lua(`clamav: virus found: "${EICAR_NAME}"`)}) then
  error("the infected message was not rejected with 550 5.7.1 and the rule's message")
end
mt.echo("infected: rejected")

send("QID2", "clean", "nothing to see here\\r\\n")
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("the clean message was not accepted") end
if not mt.eom_check(conn, MT_HDRADD, "X-Virus-Scanned", lead .. "avfleet") then error("no X-Virus-Scanned header") end
mt.echo("clean: accepted with X-Virus-Scanned")
mt.disconnect(conn)
`;
}

let fleet: FleetUnderTest | undefined;
let milterPort = 0;
let dir = '';

beforeAll(async () => {
  milterPort = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'avfleet-miltertest-'));
  fleet = await startFleetUnderTest({ testFile: 'milter-miltertest', conf: wholeMessageRule, env: { AVFLEET_MILTER_LISTEN: `127.0.0.1:${milterPort}` } });
});

afterAll(async () => {
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('miltertest: an infected message is rejected and a clean one accepted with the header, on one milter connection', async () => {
  const miltertest = requireExecutable('miltertest', 'miltertest');
  const file = join(dir, 'avfleet.lua');
  writeFileSync(file, script(milterPort));
  const out = await run(miltertest, ['-s', file]).then(
    (r) => ({ ok: true, text: `${r.stdout}${r.stderr}` }),
    (e: { stdout?: string; stderr?: string; message: string }) => ({ ok: false, text: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` }),
  );
  expect(out).toEqual({ ok: true, text: expect.stringContaining('clean: accepted with X-Virus-Scanned') });
  expect(out.text).toContain('infected: rejected');
});
