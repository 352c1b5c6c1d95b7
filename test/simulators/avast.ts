import { actOutFault, seeFile, startSimulator, type FaultScenario, type Simulator } from './simulator-server';

/**
 * Avast for Linux scan daemon (docs/scanners.md "avast"): greets `220 DAEMON`,
 * reads `SCAN <path>\r\n`, records the file as the scanner saw it and replays
 * the documented result lines up to `200 SCAN OK`, all `\r\n`-terminated.
 */
export type AvastScenario =
  | 'clean'
  | 'infected'
  | 'archive'
  | 'error'
  | 'bad-greeting'
  | 'short-line'
  | 'reset-after-verdict'
  | FaultScenario;

const CRLF = '\r\n';

export const AVAST_LINES: Record<Exclude<AvastScenario, FaultScenario | 'bad-greeting' | 'reset-after-verdict'>, (path: string) => readonly string[]> = {
  clean: (p) => ['210 SCAN DATA', `SCAN ${p}\t[+]`, '200 SCAN OK'],
  infected: (p) => ['210 SCAN DATA', `SCAN ${p}\t[L]0.0\t0 Eicar\\ [Heur]`, '200 SCAN OK'],
  // An infected member reported before a clean one (defect a), with escaped names.
  archive: (p) => [
    '210 SCAN DATA',
    `SCAN ${p}|>x.exe\t[L]9.0\t0 Win32:Malware-gen`,
    `SCAN ${p}|>dir\\\\eicar.com\t[L]0.0\t0 EICAR\\ Test-NOT\\ virus!!!`,
    `SCAN ${p}|>readme.txt\t[+]`,
    `SCAN ${p}\t[+]`,
    '200 SCAN OK',
  ],
  error: (p) => ['210 SCAN DATA', `SCAN ${p}\t[E]42.0\tError 42 Symbolic link or not a regular file`, '200 SCAN OK'],
  'short-line': () => ['210 SCAN DATA', 'OK', '200 SCAN OK'],
};

export function startAvastSimulator(initial: AvastScenario = 'clean'): Promise<Simulator<AvastScenario>> {
  return startSimulator<AvastScenario>(initial, async (sock, scenario, files) => {
    if (scenario === 'bad-greeting') {
      sock.end(`421 SERVICE NOT AVAILABLE${CRLF}`);
      return;
    }
    sock.send(`220 DAEMON${CRLF}`);
    const line = await sock.line(CRLF);
    if (line === null) return;
    if (!line.startsWith('SCAN ')) {
      sock.end(`501 SYNTAX ERROR${CRLF}`);
      return;
    }
    const path = line.slice('SCAN '.length);
    files.push(seeFile(path));
    if (actOutFault(sock, scenario, CRLF)) return;
    if (scenario === 'reset-after-verdict') {
      // A verdict line, then the connection breaks before `200`: the attempt counts as failed.
      sock.send(`210 SCAN DATA${CRLF}SCAN ${path}\t[L]0.0\t0 Eicar\\ [Heur]${CRLF}`);
      setTimeout(() => sock.reset(), 20);
      return;
    }
    sock.send(AVAST_LINES[scenario as keyof typeof AVAST_LINES](path).map((l: string) => `${l}${CRLF}`).join(''));
    // The daemon waits for the next command (QUIT) or the client closing.
    await sock.line(CRLF);
    sock.end();
  });
}
