import type { Socket } from 'node:net';
import { IntakeError, busyError, type InflightBudget, type Logger, type MessageSubmitter } from '@avfleet/core';
import { decodeCommand, type MilterCommand } from './decode-command';
import { addHeaderReply, continueReply, optnegReply, replyCodeReply } from './encode-reply';
import {
  addRecipient, clientHostname, clientIp, emptyEnvelope, envelopeAddress, metaOf, nextMessage, queueIdOf, setClient, setHelo, setQueueId, setSender, type Envelope,
} from './envelope-meta';
import { MessageBuilder } from './message-builder';
import { MilterError } from './milter-error';
import { IDLE_TIMEOUT_MS, MAX_PACKET_BYTES, MAX_UNREAD_REPLY_BYTES, PACKET_TIMEOUT_MS } from './milter-limits';
import { MILTER_VERSION, SMFIF_ADDHDRS, SMFIP } from './milter-protocol';
import { negotiate, type Negotiated } from './negotiate';
import { PacketReader, type MilterPacket } from './packet-reader';
import {
  replyForInternalError,
  replyForIntakeError,
  replyForOversize,
  replyForResult,
  replyForUnfinished,
  type EndOfMessageReply,
} from './verdict-to-reply';

/** What one milter connection needs. */
export interface MilterSessionDeps {
  readonly submitter: Pick<MessageSubmitter, 'submit'>;
  readonly logger: Logger;
  /** AVFLEET_MAX_MESSAGE_BYTES: headers and body past it are not kept (552 5.3.4). */
  readonly maxMessageBytes: number;
  /** The producer's one in-flight byte budget (AVFLEET_MAX_INFLIGHT_BYTES), shared with HTTP and clamd: over it, 451. */
  readonly inflight: InflightBudget;
  /** AVFLEET_MILTER_DEADLINE: seconds from the end of the message to the answer. */
  readonly deadlineSec: number;
  /** AVFLEET_MILTER_HEADERS. */
  readonly addHeaders: boolean;
  /** Bounds (tests shorten them; defaults in milter-limits.ts). */
  readonly maxPacketBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly packetTimeoutMs?: number;
}

/** Before SMFIC_OPTNEG: protocol 6, every event sent and every reply expected. */
const UNNEGOTIATED: Negotiated = { version: MILTER_VERSION, actions: SMFIF_ADDHDRS, protocol: 0 };

/** The SMFIP_NR_* flag of each event that may go unanswered (Postfix src/milter/milter8.c, skip_reply). */
const NO_REPLY_FLAG: Readonly<Partial<Record<MilterCommand['kind'], number>>> = {
  connect: SMFIP.NR_CONN, helo: SMFIP.NR_HELO, mail: SMFIP.NR_MAIL, rcpt: SMFIP.NR_RCPT, data: SMFIP.NR_DATA,
  unknown: SMFIP.NR_UNKN, header: SMFIP.NR_HDR, eoh: SMFIP.NR_EOH, body: SMFIP.NR_BODY,
};

/**
 * One MTA connection: packets in, replies out, one command at a time. Several messages may
 * follow each other (ABORT or the end of a message starts the next; QUIT_NC starts a new SMTP
 * connection on the same socket). The socket is paused while a verdict is awaited, so a peer
 * cannot pile up input meanwhile. A protocol error, a packet over the bound, a packet not
 * finished within the packet timeout or silence past the idle timeout closes this connection
 * and nothing else.
 */
export class MilterSession {
  private readonly reader: PacketReader;
  private readonly queue: MilterPacket[] = [];
  private negotiated: Negotiated = UNNEGOTIATED;
  private envelope: Envelope = emptyEnvelope();
  private message: MessageBuilder | null = null;
  private working = false;
  private awaitingVerdict = false;
  private closing = false;
  private packetTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly deps: MilterSessionDeps,
  ) {
    this.reader = new PacketReader(deps.maxPacketBytes ?? MAX_PACKET_BYTES);
    this.log = deps.logger.child({ milterPeer: socket.remoteAddress ?? 'unix' });
    // Replies are small and the MTA waits for each: send them at once (no Nagle delay).
    socket.setNoDelay(true);
    socket.setTimeout(deps.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => {
      if (!this.awaitingVerdict) this.drop('idle timeout');
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'milter connection error'));
    socket.on('close', () => {
      this.clearPacketTimer();
      this.dropMessage();
    });
  }

  /** Graceful stop: close now when idle, else right after the verdict in flight is written. */
  close(): void {
    this.closing = true;
    if (!this.awaitingVerdict) this.endSoon();
  }

  /** Ends the connection; a peer that does not close its side within a second is cut off. */
  private endSoon(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onData(chunk: Buffer): void {
    let packets: MilterPacket[];
    try {
      packets = this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.queue.push(...packets);
    this.trackPacketTimer();
    void this.work();
  }

  /** A packet must be complete within the packet timeout of its first byte, however the bytes trickle in. */
  private trackPacketTimer(): void {
    if (!this.reader.inPacket) this.clearPacketTimer();
    else if (this.packetTimer === null) {
      this.packetTimer = setTimeout(() => this.drop('packet not finished in time'), this.deps.packetTimeoutMs ?? PACKET_TIMEOUT_MS);
      this.packetTimer.unref();
    }
  }

  private clearPacketTimer(): void {
    if (this.packetTimer !== null) clearTimeout(this.packetTimer);
    this.packetTimer = null;
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        const command = decodeCommand(this.queue.shift() as MilterPacket);
        await this.handle(command);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.working = false;
    }
  }

  private async handle(cmd: MilterCommand): Promise<void> {
    switch (cmd.kind) {
      case 'optneg':
        this.negotiated = negotiate(cmd, this.deps.addHeaders);
        this.write(optnegReply(this.negotiated.version, this.negotiated.actions, this.negotiated.protocol));
        return;
      case 'macro': {
        const queueId = queueIdOf(cmd.macros);
        if (queueId !== undefined) setQueueId(this.envelope, queueId);
        return;
      }
      case 'connect':
        this.envelope = emptyEnvelope();
        setClient(this.envelope, clientIp(cmd), clientHostname(cmd));
        this.dropMessage();
        break;
      case 'helo':
        setHelo(this.envelope, cmd.name.trim() || null);
        break;
      case 'mail':
        // The queue id macro of MAIL comes just before it: keep it.
        this.resetMessage(true);
        setSender(this.envelope, envelopeAddress(cmd.args[0]));
        break;
      case 'rcpt':
        // Bounded as it arrives (envelope-meta.ts): recipients past the bounds are counted, not kept, and not refused.
        addRecipient(this.envelope, envelopeAddress(cmd.args[0]));
        break;
      case 'header':
        this.builder().addHeader(cmd.name, cmd.value);
        break;
      case 'body':
        this.builder().addBody(cmd.chunk);
        break;
      case 'eob':
        this.builder().addBody(cmd.chunk);
        await this.endOfMessage();
        return;
      case 'abort':
        this.resetMessage(false);
        return;
      case 'quit':
        this.queue.length = 0;
        this.endSoon();
        return;
      case 'quit_nc':
        this.envelope = emptyEnvelope();
        this.dropMessage();
        return;
      case 'data':
      case 'eoh':
      case 'unknown':
        break;
    }
    this.continueUnlessNoReply(cmd.kind);
  }

  /** SMFIR_CONTINUE, unless the negotiated SMFIP_NR_* flag of this command says the MTA expects no reply. */
  private continueUnlessNoReply(kind: MilterCommand['kind']): void {
    const flag = NO_REPLY_FLAG[kind];
    if (flag !== undefined && (this.negotiated.protocol & flag) !== 0) return;
    this.write(continueReply());
  }

  private builder(): MessageBuilder {
    this.message ??= new MessageBuilder(this.deps.maxMessageBytes, (this.negotiated.protocol & SMFIP.HDR_LEADSPC) !== 0, this.deps.inflight.open());
    return this.message;
  }

  /** The next message starts: the connection's client and HELO stay, the envelope and content go. */
  private resetMessage(keepQueueId: boolean): void {
    this.envelope = nextMessage(this.envelope, keepQueueId);
    this.dropMessage();
  }

  /** The message being received is gone: its bytes go back to the in-flight budget. */
  private dropMessage(): void {
    this.message?.release();
    this.message = null;
  }

  private async endOfMessage(): Promise<void> {
    const message = this.builder();
    const envelope = this.envelope;
    this.message = null;
    this.envelope = nextMessage(envelope, false);
    if (envelope.cut.size > 0) {
      this.log.warn(
        { code: 'AVF_WARN_REQUEST_META_CUT', fields: [...envelope.cut], rcptDropped: envelope.rcptDropped, queueId: envelope.queueId },
        'milter: envelope over its bounds was cut (README "Limits")',
      );
    }
    let reply: EndOfMessageReply;
    if (message.oversize) {
      reply = replyForOversize(this.deps.maxMessageBytes);
    } else if (message.busy) {
      const err = busyError(this.deps.inflight);
      this.log.warn({ code: err.code, queueId: envelope.queueId }, 'milter: submission refused');
      reply = replyForIntakeError(err.code, err.retryAfterSec);
    } else {
      this.awaitingVerdict = true;
      this.socket.pause();
      reply = await this.verdict(message.build(), envelope);
      this.awaitingVerdict = false;
      if (!this.socket.destroyed) this.socket.resume();
    }
    // Answered (or refused): the message's bytes go back to the in-flight budget.
    message.release();
    this.writeEndOfMessage(reply);
    if (this.closing) this.endSoon();
  }

  private async verdict(raw: Buffer, envelope: Envelope): Promise<EndOfMessageReply> {
    const { deadlineSec } = this.deps;
    try {
      const outcome = await this.deps.submitter.submit({ raw, meta: metaOf(envelope, deadlineSec), waitSec: deadlineSec, startedAt: Date.now() });
      return outcome.done ? replyForResult(outcome.result, this.deps.addHeaders) : replyForUnfinished();
    } catch (err) {
      if (err instanceof IntakeError) {
        this.log.warn({ code: err.code, queueId: envelope.queueId }, 'milter: submission refused');
        return replyForIntakeError(err.code, err.retryAfterSec);
      }
      this.log.error({ err: err instanceof Error ? err.stack : String(err), queueId: envelope.queueId }, 'milter: scan failed (a bug)');
      return replyForInternalError();
    }
  }

  /** The end-of-message answer in one write: header packets then the final reply (no small write waits for an ACK). */
  private writeEndOfMessage(reply: EndOfMessageReply): void {
    if (reply.kind === 'reply') {
      this.write(replyCodeReply(reply.smtp));
      return;
    }
    const packets: Buffer[] = [];
    if ((this.negotiated.actions & SMFIF_ADDHDRS) !== 0) {
      const lead = (this.negotiated.protocol & SMFIP.HDR_LEADSPC) !== 0 ? ' ' : '';
      for (const h of reply.headers) packets.push(addHeaderReply(h.name, `${lead}${h.value}`));
    }
    packets.push(continueReply());
    this.write(Buffer.concat(packets));
  }

  private write(packet: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength + packet.length > MAX_UNREAD_REPLY_BYTES) {
      this.drop('the peer does not read its replies');
      return;
    }
    this.socket.write(packet);
  }

  private fail(err: unknown): void {
    if (err instanceof MilterError) {
      this.log.warn({ code: err.code, reason: err.message }, 'milter connection closed');
      this.socket.destroy();
      return;
    }
    this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'milter connection failed (a bug)');
    this.socket.destroy();
  }

  private drop(reason: string): void {
    this.log.warn({ code: 'AVF_ERR_MILTER_PROTOCOL', reason }, 'milter connection closed');
    this.socket.destroy();
  }
}
