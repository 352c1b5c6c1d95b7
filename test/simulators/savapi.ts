import { actOutFault, seeFile, startSimulator, type FaultScenario, type Simulator } from './simulator-server';

/**
 * Avira SAVAPI (docs/scanners.md "savapi"): greeting `100 …`, `SET PRODUCT <id>`
 * (accepted only for `productId`), `SCAN <path>` (the file is recorded as the
 * scanner saw it), then the scenario's lines. After every `310` line it waits
 * for the client's bare `\n` before going on, as deployed servers are driven.
 * Line texts besides the codes and the `<<< name ; type ; text` shape vary
 * between SAVAPI versions and are illustrative.
 */
export type SavapiScenario =
  | 'clean'
  | 'clean-210'
  | 'infected'
  | 'several'
  | 'name-with-200'
  | 'unparseable'
  | 'error'
  | 'bad-greeting'
  | 'reset-before-scan'
  | FaultScenario;

const detection = (path: string, name: string): string => `310 ${path} <<< ${name} ; virus ; Contains code of the ${name} virus\n`;

const DETECTIONS: Partial<Record<SavapiScenario, readonly string[]>> = {
  infected: ['Eicar-Test-Signature'],
  several: ['Eicar-Test-Signature', 'TR/Agent.4711', 'Eicar-Test-Signature'],
  'name-with-200': ['W32/Foo.200'],
};

export function startSavapiSimulator(initial: SavapiScenario = 'clean', productId = '12345'): Promise<Simulator<SavapiScenario>> {
  return startSimulator<SavapiScenario>(initial, async (sock, scenario, files) => {
    if (scenario === 'reset-before-scan') {
      sock.reset();
      return;
    }
    if (scenario === 'bad-greeting') {
      sock.end('500 SAVAPI:4.0 too many connections\n');
      return;
    }
    sock.send('100 SAVAPI:4.0 ready\n');
    for (;;) {
      const line = await sock.line();
      if (line === null || line === 'QUIT') {
        sock.end();
        return;
      }
      if (line.startsWith('SET PRODUCT ')) {
        sock.send(line.slice('SET PRODUCT '.length) === productId ? `100 PRODUCT:${productId}\n` : '451 Invalid product id\n');
        continue;
      }
      if (!line.startsWith('SCAN ')) {
        sock.send('500 Unknown command\n');
        continue;
      }
      const path = line.slice('SCAN '.length);
      files.push(seeFile(path));
      if (actOutFault(sock, scenario)) return;
      if (scenario === 'clean') sock.send(`200 ${path}\n`);
      else if (scenario === 'clean-210') sock.send(`210 ${path} not scanned: archive limits\n`);
      else if (scenario === 'error') sock.send(`430 ${path} cannot open the file\n`);
      else if (scenario === 'unparseable') sock.send(`310 ${path} broken detection line\n`);
      else {
        for (const name of DETECTIONS[scenario] ?? []) {
          sock.send(detection(path, name));
          if ((await sock.line()) !== '') {
            sock.end('500 expected an empty line after 310\n');
            return;
          }
        }
        sock.send(`319 ${path}\n`);
      }
    }
  });
}
