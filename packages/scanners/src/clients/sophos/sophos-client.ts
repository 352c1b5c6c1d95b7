import type { ScanBody, ScanContext } from '../../scanner';
import type { ScannerCommonOptions } from '../../scanner-options';
import type { SocketConnection } from '../../transport/socket-connection';
import type { AttemptContext } from '../../transport/with-retransmits';
import type { Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, readLine, writeThenRead } from '../shared/socket-scanner-base';
import { bodySize, writeBody } from '../shared/write-body';
import { SOPHOS_REQUEST_TAIL, SophosReplyParser, sophosRequestHead } from './sophos-reply';

export type SophosClientOptions = ScannerCommonOptions;

/**
 * Sophos SAVDI over SSSP/1.0 (docs/scanners.md "sophos"): the whole request is
 * written without waiting for the greeting, then the reply is parsed line by
 * line (D5). A REJ that SAVDI sends before closing on a request it refuses
 * (oversized body) is still read when the write breaks.
 */
export class SophosClient extends SocketScannerBase {
  readonly type = 'sophos';

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    return this.runAttempts(ctx, (a) => this.attempt(body, a));
  }

  private async attempt(body: ScanBody, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    try {
      return await writeThenRead(
        async () => {
          await conn.write(Buffer.from(sophosRequestHead(bodySize(body)), 'latin1'));
          await writeBody(conn, body);
          await conn.write(Buffer.from(SOPHOS_REQUEST_TAIL, 'latin1'), { flush: true });
          a.markHealthy();
        },
        () => readReply(conn),
      );
    } finally {
      conn.close();
    }
  }
}

async function readReply(conn: SocketConnection): Promise<Verdict> {
  const parser = new SophosReplyParser();
  for (;;) {
    const verdict = parser.feed(await readLine(conn));
    if (verdict) return verdict;
  }
}
