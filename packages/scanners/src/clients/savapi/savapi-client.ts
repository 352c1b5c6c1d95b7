import { TransportError } from '../../errors';
import type { ScanBody, ScanContext } from '../../scanner';
import type { SavapiScannerOptions } from '../../scanner-options';
import type { SocketConnection } from '../../transport/socket-connection';
import type { AttemptContext } from '../../transport/with-retransmits';
import { fail, type Verdict } from '../../verdict';
import { SocketScannerBase, connectFor, readLine } from '../shared/socket-scanner-base';
import { SavapiScanReply, isSavapiGreeting, isSavapiProductAccepted } from './savapi-reply';

export type SavapiClientOptions = SavapiScannerOptions;

/**
 * Avira SAVAPI (docs/scanners.md "savapi"): the body goes to a private temp file,
 * then greeting → `SET PRODUCT <id>` → `SCAN <path>` → `310`… lines (each
 * answered with a bare `\n`) → a terminal line → `QUIT`.
 *
 * Retries (D6) only cover connection-level failures before `SCAN` is sent;
 * after it a timeout or disconnect is final: FAIL with the timeout text, or
 * FAIL("unhandled response: …").
 */
export class SavapiClient extends SocketScannerBase {
  readonly type = 'savapi';
  private readonly tmpdir: string;
  private readonly productId: string;

  constructor(options: SavapiClientOptions) {
    super(options);
    this.tmpdir = options.tmpdir;
    this.productId = options.productId;
  }

  protected scanBody(body: ScanBody, ctx: ScanContext): Promise<Verdict> {
    return this.withBodyFile(this.tmpdir, 'tmp', body, (filePath) => this.runAttempts(ctx, (a) => this.attempt(filePath, a)));
  }

  private async attempt(filePath: string, a: AttemptContext): Promise<Verdict> {
    const conn = await connectFor(a);
    try {
      const greeting = await readLine(conn);
      if (!isSavapiGreeting(greeting)) return fail(`unhandled response: ${greeting}`);
      await conn.write(Buffer.from(`SET PRODUCT ${this.productId}\n`, 'utf8'));
      const product = await readLine(conn);
      if (!isSavapiProductAccepted(product)) {
        await quit(conn);
        return fail(`invalid product id: ${product}`);
      }
      await conn.write(Buffer.from(`SCAN ${filePath}\n`, 'utf8'), { flush: true });
      a.markHealthy();
      return await this.readScanReply(conn, a);
    } finally {
      conn.close();
    }
  }

  /** After `SCAN`: never throws a TransportError (no retry once the scan started). */
  private async readScanReply(conn: SocketConnection, a: AttemptContext): Promise<Verdict> {
    const reply = new SavapiScanReply();
    try {
      for (;;) {
        const step = reply.feed(await readLine(conn));
        if (step.kind === 'done') {
          await quit(conn);
          return step.verdict;
        }
        if (step.kind === 'ack') await conn.write(Buffer.from('\n', 'latin1'));
      }
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      this.upstreams.markFailure(a.upstream);
      if (e.code === 'AVF_ERR_TRANSPORT_TIMEOUT') return fail(e.message, 'timeout');
      return fail(`unhandled response: ${e.message}`);
    }
  }
}

/** `QUIT\n`, best effort: the verdict is already known. */
async function quit(conn: SocketConnection): Promise<void> {
  await conn.write(Buffer.from('QUIT\n', 'latin1'), { flush: true }).catch(() => undefined);
}
