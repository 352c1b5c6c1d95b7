import { actOutFault, seeFile, startSimulator, type FaultScenario, type Simulator } from './simulator-server';

/**
 * Kaspersky Anti-Virus for Linux Mail Server, clamd-compatible socket
 * (docs/scanners.md "kaspersky"): reads `nSCAN <path>\n`, records the file as the
 * scanner saw it and answers one clamd-style line. `clean` and `infected`
 * replay the documented replies; `error` is a clamd-style error line.
 */
export type KasperskyScenario = 'clean' | 'stream-ok' | 'infected' | 'error' | FaultScenario;

export const KASPERSKY_REPLIES: Record<Exclude<KasperskyScenario, FaultScenario>, (path: string) => string> = {
  clean: (p) => `${p}: OK`,
  'stream-ok': () => 'stream: OK',
  infected: (p) => `${p}: EICAR-Test-File FOUND`,
  error: (p) => `${p}: lstat() failed: No such file or directory. ERROR`,
};

export function startKasperskySimulator(initial: KasperskyScenario = 'clean'): Promise<Simulator<KasperskyScenario>> {
  return startSimulator<KasperskyScenario>(initial, async (sock, scenario, files) => {
    const line = await sock.line();
    if (line === null) return;
    if (!line.startsWith('nSCAN ')) {
      sock.end('UNKNOWN COMMAND\n');
      return;
    }
    const path = line.slice('nSCAN '.length);
    files.push(seeFile(path));
    if (actOutFault(sock, scenario)) return;
    sock.end(`${KASPERSKY_REPLIES[scenario as keyof typeof KASPERSKY_REPLIES](path)}\n`);
  });
}
