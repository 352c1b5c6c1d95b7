import { actOutFault, startSimulator, type FaultScenario, type Simulator } from './simulator-server';

/**
 * F-Prot `fpscand` (docs/scanners.md "fprot"): reads `SCAN STREAM <id> SIZE <n>\n`,
 * exactly n body bytes and the closing `\n`, then answers one line. `clean`
 * and `infected` replay the documented replies; the other codes are in
 * fpscand's format (code, `<…>`, id) with illustrative texts.
 * `early-infected` acts like Rspamd's functional-test server
 * (test/functional/util/dummy_fprot.py in rspamd/rspamd): it answers the
 * command line alone and closes without reading the body.
 */
export type FprotScenario = 'clean' | 'infected' | 'suspicious' | 'error' | 'early-infected' | FaultScenario;

export const FPROT_REPLIES = {
  clean: (id: string) => `0 <clean> ${id}`,
  infected: (id: string) => `1 <infected: EICAR_Test_File> ${id}->eicar.com`,
  suspicious: (id: string) => `2 <suspicious: W32/Heuristic-210!Eldorado> ${id}`,
  error: (id: string) => `8 <error: could not read the stream> ${id}`,
} as const;

export function startFprotSimulator(initial: FprotScenario = 'clean'): Promise<Simulator<FprotScenario>> {
  return startSimulator<FprotScenario>(initial, async (sock, scenario) => {
    const command = await sock.line();
    const m = command === null ? null : /^SCAN STREAM (\S+) SIZE (\d+)$/.exec(command);
    if (!m) {
      sock.end(`8 <error: unknown command> -\n`);
      return;
    }
    const id = m[1]!;
    if (scenario === 'early-infected') {
      sock.answerAndClose(`${FPROT_REPLIES.infected(id)}\n`);
      return;
    }
    const body = await sock.bytes(Number(m[2]));
    const terminator = await sock.bytes(1);
    if (body === null || terminator?.toString() !== '\n') {
      sock.end(`8 <error: stream not terminated by a newline> ${id}\n`);
      return;
    }
    if (actOutFault(sock, scenario)) return;
    sock.end(`${FPROT_REPLIES[scenario as keyof typeof FPROT_REPLIES](id)}\n`);
  });
}
