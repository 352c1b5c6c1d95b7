import type { Socket } from 'node:net';
import type { Reservation } from '@avfleet/core';
import { SUPPORTED_COMMANDS, parseCommand, type CommandForm } from './clamd-commands';
import type { ClamdDeps } from './clamd-deps';
import { withCode, type ClamdErrorCode } from './clamd-error-codes';
import { ClamdFramer, type FramedInput } from './clamd-framer';
import { CLAMD_REPLY, frameReply, replyText, streamError } from './clamd-reply';
import { scanStream } from './scan-stream';

/** How long a closing connection may take to flush its last reply before it is cut off. */
const END_GRACE_MS = 5000;

/** One connection as the server sees it: `done` when the socket is gone. */
export interface ClamdConnection {
  readonly done: Promise<void>;
  /** True while a scan is in flight (shutdown waits for its answer). */
  readonly busy: boolean;
  /** Stop: an idle connection closes now, a busy one after its answer. */
  drain(): void;
  /** Close at once. */
  destroy(): void;
}

/** The stream being read: the form and session id its reply goes out with. */
interface PendingStream {
  readonly form: CommandForm;
  readonly id: number | null;
}

/**
 * One clamd client connection (ClamAV's clamd/session.c and server-th.c): commands one at a
 * time, in order. Outside IDSESSION the connection closes after the first reply; inside it,
 * replies carry `<id>: ` and the connection stays until END, an error, or a limit. While a
 * scan runs the socket is paused, so a pipelining client cannot make us buffer more than one
 * read. Every way out closes this connection only.
 */
export function serveClamdConnection(socket: Socket, deps: ClamdDeps): ClamdConnection {
  const { limits, logger, inflight: budget } = deps;
  const framer = new ClamdFramer();
  /** The current stream's bytes in the shared budget, given back when its answer is sent or the connection ends. */
  let reserved: Reservation | null = null;
  const reserve = (bytes: number): boolean => {
    reserved ??= budget.open();
    return reserved.take(bytes);
  };
  const releaseReserved = (): void => {
    reserved?.release();
    reserved = null;
  };
  let session: { nextId: number } | null = null;
  let stream: PendingStream | null = null;
  let busy = false;
  let draining = false;
  let peerEnded = false;
  let closed = false;
  let requestTimer: NodeJS.Timeout | null = null;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  // Idle means waiting for the client: while a scan runs (up to the deadline) the wait is ours, not the client's.
  const idleTimer = setTimeout(function onIdle() {
    if (busy) idleTimer.refresh();
    else hostile('AVF_ERR_CLAMD_TIMEOUT', `no bytes for ${limits.idleTimeoutMs} ms`);
  }, limits.idleTimeoutMs);
  idleTimer.unref();

  function hostile(code: ClamdErrorCode, why: string): void {
    if (closed) return;
    logger.info({ code, remote: socket.remoteAddress ?? 'unix', why }, 'clamd front end: connection closed');
    close();
  }

  function stopTimers(): void {
    clearTimeout(idleTimer);
    if (requestTimer) clearTimeout(requestTimer);
  }

  /** Close at once (a hostile or broken client). */
  function close(): void {
    if (closed) return;
    closed = true;
    stopTimers();
    socket.destroy();
  }

  /** Send what is left (a last reply) and close; a client that does not read is cut off after END_GRACE_MS. */
  function finish(bytes?: Buffer): void {
    if (closed) return;
    closed = true;
    stopTimers();
    setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    socket.end(bytes ?? Buffer.alloc(0), () => socket.destroy());
  }

  /** Write the reply; `last`: end the connection once it is flushed (as clamd does). */
  function reply(text: string, form: CommandForm, id: number | null, last: boolean): void {
    if (closed) return;
    const bytes = frameReply(text, form, id);
    if (last) finish(bytes);
    else socket.write(bytes);
  }

  function startRequestTimer(): void {
    if (requestTimer || closed) return;
    requestTimer = setTimeout(() => hostile('AVF_ERR_CLAMD_TIMEOUT', `a request took longer than ${limits.requestTimeoutMs} ms to arrive`), limits.requestTimeoutMs);
    requestTimer.unref();
  }

  function requestDone(): void {
    if (requestTimer) clearTimeout(requestTimer);
    requestTimer = null;
  }

  /** Frame and handle inputs until one needs more bytes or a scan starts. */
  function pump(packetEnd: boolean): void {
    while (!busy && !closed) {
      const input = framer.next(packetEnd);
      if (!input) {
        if (framer.buffered > 0 || framer.streaming) startRequestTimer();
        if ((draining || peerEnded) && !framer.streaming && framer.buffered === 0) finish();
        return;
      }
      requestDone();
      handle(input);
    }
  }

  function handle(input: FramedInput): void {
    switch (input.kind) {
      case 'command-too-long':
        return hostile('AVF_ERR_CLAMD_PROTOCOL', 'a command without its terminator is too long');
      case 'stream-too-large': {
        const s = stream as PendingStream;
        stream = null;
        releaseReserved();
        return reply(CLAMD_REPLY.SIZE_LIMIT, s.form, s.id, true);
      }
      case 'stream-over-budget': {
        const s = stream as PendingStream;
        stream = null;
        releaseReserved();
        const text = withCode('AVF_ERR_CLAMD_BUSY', `messages being received hold all ${budget.maxBytes} bytes this producer may buffer (AVFLEET_MAX_INFLIGHT_BYTES); retry later`);
        return reply(streamError(text), s.form, s.id, true);
      }
      case 'stream': {
        const s = stream as PendingStream;
        stream = null;
        busy = true;
        socket.pause();
        void scanStream(input.body, deps).then((text) => {
          busy = false;
          releaseReserved();
          reply(text, s.form, s.id, session === null || draining);
          if (closed) return;
          if (peerEnded) return pump(true);
          socket.resume();
          idleTimer.refresh();
          pump(false);
        });
        return;
      }
      case 'command':
        return command(input.text, input.form);
    }
  }

  function command(text: string, form: CommandForm): void {
    const id = session ? session.nextId++ : null;
    if (session && form === 'legacy') return reply(CLAMD_REPLY.LEGACY_IN_SESSION, form, id, true);
    const { command: cmd, inSession } = parseCommand(text, form);
    if (session && !inSession) return reply(CLAMD_REPLY.INVALID_IN_SESSION, form, id, true);
    if (session && id !== null && id > limits.maxSessionCommands) {
      return reply(`${withCode('AVF_ERR_CLAMD_SESSION_LIMIT', `more than ${limits.maxSessionCommands} commands in one IDSESSION; start a new session.`)} ERROR`, form, id, true);
    }
    const last = session === null;
    switch (cmd.kind) {
      case 'ping':
        return reply(CLAMD_REPLY.PONG, form, id, last);
      case 'version':
        return reply(deps.versionLine, form, id, last);
      case 'versioncommands':
        return reply(`${deps.versionLine}| COMMANDS: ${SUPPORTED_COMMANDS.join(' ')}`, form, id, last);
      case 'instream':
        stream = { form, id };
        framer.beginStream(limits.maxStreamBytes, reserve);
        return;
      case 'idsession':
        session = { nextId: 1 };
        return;
      case 'end':
        if (!session) return reply(CLAMD_REPLY.UNKNOWN_COMMAND, form, id, true);
        return finish();
      case 'path-scan':
        return reply(
          `${replyText(cmd.path)}: ${withCode('AVF_ERR_CLAMD_PATH_SCAN', `${cmd.name} of a path is refused, clients get no filesystem access; send the file with INSTREAM.`)} ERROR`,
          form, id, last,
        );
      case 'unavailable':
        return reply(CLAMD_REPLY.COMMAND_UNAVAILABLE, form, id, true);
      case 'unknown':
        return reply(CLAMD_REPLY.UNKNOWN_COMMAND, form, id, true);
    }
  }

  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    idleTimer.refresh();
    framer.push(chunk);
    pump(true);
  });
  socket.on('end', () => {
    // The client sent everything (a half-close): answer what is complete, then close.
    peerEnded = true;
    if (!closed && !busy) pump(true);
    if (!closed && !busy) finish();
  });
  socket.on('error', () => close());
  socket.on('close', () => {
    closed = true;
    stopTimers();
    // A scan in flight gives its bytes back when it is answered (the body is held until then).
    if (!busy) releaseReserved();
    resolveDone();
  });

  return {
    done,
    get busy() {
      return busy;
    },
    drain() {
      draining = true;
      if (!busy) finish();
    },
    destroy: close,
  };
}
