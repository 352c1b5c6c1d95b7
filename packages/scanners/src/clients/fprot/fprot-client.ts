import { randomBytes } from 'node:crypto';
import type { ScanBody, ScanContext } from '../../scanner';
import type { ScannerCommonOptions } from '../../scanner-options';
import type { AttemptContext } from '../../transport/with-retransmits';
import type { Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, readLine, writeThenRead } from '../shared/socket-scanner-base';
import { bodySize, writeBody } from '../shared/write-body';
import { fprotRequestLine, mapFprotReply } from './fprot-reply';

export type FprotClientOptions = ScannerCommonOptions;

const NEWLINE = Buffer.from('\n', 'latin1');

/**
 * F-Prot `fpscand` (docs/scanners.md "fprot"): `SCAN STREAM <id> SIZE <n>\n`, the
 * body and `\n` written at once, then one reply line. A server that answers
 * the header alone and closes (Rspamd's functional-test F-Prot server,
 * test/functional/util/dummy_fprot.py in rspamd/rspamd, does) has its reply
 * used even though writing the body then fails (`writeThenRead`).
 */
export class FprotClient extends SocketScannerBase {
  readonly type = 'fprot';

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    // The MTA queue id when known, otherwise the scan's own id.
    const scanId = ctx.queueId && ctx.queueId.trim() !== '' ? ctx.queueId : randomBytes(5).toString('hex').toUpperCase();
    return this.runAttempts(ctx, (a) => this.attempt(body, scanId, a));
  }

  private async attempt(body: ScanBody, scanId: string, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    try {
      return await writeThenRead(
        async () => {
          await conn.write(Buffer.from(fprotRequestLine(scanId, bodySize(body)), 'latin1'));
          await writeBody(conn, body);
          await conn.write(NEWLINE, { flush: true });
          a.markHealthy();
        },
        async () => mapFprotReply(await readLine(conn)),
      );
    } finally {
      conn.close();
    }
  }
}
