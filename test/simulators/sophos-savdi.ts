import { actOutFault, GARBAGE_LINE, startSimulator, type FaultScenario, type Simulator } from './simulator-server';

/**
 * Sophos SAVDI speaking SSSP/1.0 (docs/scanners.md "sophos"): greets with
 * `OK SSSP/1.0`, accepts `SSSP/1.0`, reads `SCANDATA <n>` and n bytes, then
 * replays one of the documented replies and answers `BYE`. A SCANDATA larger
 * than `maxScanData` gets `ACC …` + `REJ 4` and the connection is dropped
 * without reading the data (so a client still writing sees a broken pipe).
 * `early-infected` answers the infected reply to the SCANDATA line alone and
 * closes without reading the data.
 */
export type SophosScenario =
  | 'clean'
  | 'infected'
  | 'several'
  | 'encrypted'
  | 'split'
  | 'rej1'
  | 'rej5'
  | 'done-fail'
  | 'early-infected'
  | FaultScenario;

const ACC2 = 'ACC 5E8F2A1B/2\n';
const LOC = '/tmp/savid_tmpXk2P9q';

export const SOPHOS_REPLIES: Record<Exclude<SophosScenario, FaultScenario | 'split' | 'rej1' | 'early-infected'>, string> = {
  clean: `${ACC2}DONE OK 0000 The function call succeeded\n\n`,
  infected: `${ACC2}VIRUS EICAR-AV-Test ${LOC}\nOK 0203 ${LOC}\nDONE OK 0203 Virus found during virus scan\n\n`,
  several: `${ACC2}EVENT ONFILE\nFILE ${LOC}/a.zip/x.exe\nVIRUS Troj/Agent-A ${LOC}/a.zip/x.exe\nVIRUS EICAR-AV-Test ${LOC}/a.zip/eicar.com\nOK 0203 ${LOC}\nDONE OK 0203 Virus found during virus scan\n\n`,
  // One chunk holding ACC and FAIL 0212: the case Rspamd misreads (defect a).
  encrypted: `${ACC2}FAIL 0212 ${LOC}\nDONE FAIL 0212 Password protected file\n\n`,
  rej5: 'REJ 5\n',
  'done-fail': `${ACC2}FAIL 0203 ${LOC}\nDONE FAIL 0203 Could not open the file\n\n`,
};

export function startSophosSavdiSimulator(initial: SophosScenario = 'clean', maxScanData = 64 * 1024): Promise<Simulator<SophosScenario>> {
  return startSimulator<SophosScenario>(initial, async (sock, scenario) => {
    sock.send('OK SSSP/1.0\n');
    if ((await sock.line()) !== 'SSSP/1.0') {
      sock.end('REJ 1\n');
      return;
    }
    sock.send('ACC 5E8F2A1B/1\n');
    const request = await sock.line();
    const m = request === null ? null : /^SCANDATA (\d+)$/.exec(request);
    if (!m || scenario === 'rej1') {
      sock.end('REJ 1\n');
      return;
    }
    const size = Number(m[1]);
    if (scenario === 'early-infected') {
      sock.answerAndClose(SOPHOS_REPLIES.infected);
      return;
    }
    if (size > maxScanData) {
      sock.send(`${ACC2}REJ 4\n`);
      setTimeout(() => sock.reset(), 20);
      return;
    }
    if ((await sock.bytes(size)) === null) return;
    if (scenario === 'garbage') {
      // Like every reply, garbage is followed by reading the client's BYE: closing before it arrives would reset the connection.
      sock.send(`${GARBAGE_LINE}\n`);
    } else if (actOutFault(sock, scenario)) {
      return;
    } else if (scenario === 'split') {
      // A line cut across two reads (defect c).
      await sock.sendSlowly([`${ACC2}VIR`, `US EICAR-AV-Test ${LOC}\nOK 0203 ${LOC}\nDONE OK 0203 Virus`, ' found during virus scan\n\n']);
    } else {
      sock.send(SOPHOS_REPLIES[scenario as keyof typeof SOPHOS_REPLIES]);
    }
    if ((await sock.line()) === 'BYE') sock.end('BYE\n');
  });
}
