import type { ScanBody, ScanContext } from '../../scanner';
import type { TempFileScannerOptions } from '../../scanner-options';
import type { AttemptContext } from '../../transport/with-retransmits';
import { fail, type Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, readLine, writeThenRead } from '../shared/socket-scanner-base';
import { AvastScanReply, isAvastGreeting } from './avast-reply';

export type AvastClientOptions = TempFileScannerOptions;

/**
 * Avast for Linux scan daemon (docs/scanners.md "avast"): the body goes to a
 * private `<tmpdir>/<32 hex>.avtmp`, then greeting `220` → `SCAN <path>\r\n`
 * → result lines up to `200`, all `\r\n`-terminated. An I/O error anywhere
 * before `200` retries; attempts are `1 + retransmits` like every other
 * socket scanner (D11: Rspamd makes only `retransmits`).
 */
export class AvastClient extends SocketScannerBase {
  readonly type = 'avast';
  private readonly tmpdir: string;

  constructor(options: AvastClientOptions) {
    super(options);
    this.tmpdir = options.tmpdir;
  }

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    return this.withBodyFile(this.tmpdir, 'avtmp', body, (filePath) => this.runAttempts(ctx, (a) => this.attempt(filePath, a)));
  }

  private async attempt(filePath: string, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    try {
      const greeting = await readLine(conn, '\r\n');
      if (!isAvastGreeting(greeting)) return fail(`unhandled response: ${greeting}`);
      return await writeThenRead(
        async () => {
          await conn.write(Buffer.from(`SCAN ${filePath}\r\n`, 'utf8'), { flush: true });
          a.markHealthy();
        },
        async () => {
          const reply = new AvastScanReply();
          for (;;) {
            const verdict = reply.feed(await readLine(conn, '\r\n'));
            if (verdict) return verdict;
          }
        },
      );
    } finally {
      conn.close();
    }
  }
}
