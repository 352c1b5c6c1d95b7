import type { ScanBody, ScanContext } from '../../scanner';
import type { TempFileScannerOptions } from '../../scanner-options';
import type { AttemptContext } from '../../transport/with-retransmits';
import type { Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, readLine, writeThenRead } from '../shared/socket-scanner-base';
import { kasperskyRequestLine, mapKasperskyReply } from './kaspersky-reply';

export type KasperskyClientOptions = TempFileScannerOptions;

/**
 * Kaspersky Anti-Virus for Linux Mail Server over its clamd-compatible socket
 * (docs/scanners.md "kaspersky"): the body goes to a private temp file, then
 * `nSCAN <path>\n` and one reply line.
 */
export class KasperskyClient extends SocketScannerBase {
  readonly type = 'kaspersky';
  private readonly tmpdir: string;

  constructor(options: KasperskyClientOptions) {
    super(options);
    this.tmpdir = options.tmpdir;
  }

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    return this.withBodyFile(this.tmpdir, 'tmp', body, (filePath) => this.runAttempts(ctx, (a) => this.attempt(filePath, a)));
  }

  private async attempt(filePath: string, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    try {
      return await writeThenRead(
        async () => {
          await conn.write(Buffer.from(kasperskyRequestLine(filePath), 'utf8'), { flush: true });
          a.markHealthy();
        },
        async () => mapKasperskyReply(await readLine(conn), filePath),
      );
    } finally {
      conn.close();
    }
  }
}
