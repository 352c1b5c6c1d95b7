import { createTransport } from 'nodemailer';
import type { CorpusMessage } from '../corpus/generate-corpus';
import { runPool } from './raw-instream';

/** The class of the SMTP reply that decided a message; `none` when no reply came (connection refused, timeout). */
export type ReplyClass = '2xx' | '4xx' | '5xx' | 'none';

export interface SmtpOutcome {
  index: number;
  latencyMs: number;
  replyClass: ReplyClass;
  /** The reply (or the client's error) as text, for the log when it is not what the message should get. */
  reply: string;
  /** An EICAR message refused with 5xx, or a clean message accepted with 2xx. */
  correct: boolean;
}

/** The class of an SMTP reply code (RFC 5321 §4.2.1: the first digit); anything else is `none`. */
export function classifyReply(code: number | undefined): ReplyClass {
  if (code === undefined || !Number.isInteger(code) || code < 200 || code > 599) return 'none';
  if (code < 300) return '2xx';
  if (code >= 400 && code < 500) return '4xx';
  if (code >= 500) return '5xx';
  return 'none';
}

/** Whether the mail path answered a message the way it should: EICAR refused permanently, clean mail accepted. */
export function isExpectedReply(replyClass: ReplyClass, eicar: boolean): boolean {
  return eicar ? replyClass === '5xx' : replyClass === '2xx';
}

/** Replies counted by class. */
export function countReplies(outcomes: readonly { replyClass: ReplyClass }[]): Record<ReplyClass, number> {
  const counts: Record<ReplyClass, number> = { '2xx': 0, '4xx': 0, '5xx': 0, none: 0 };
  for (const o of outcomes) counts[o.replyClass]++;
  return counts;
}

/**
 * Sends every message to the SMTP server on 127.0.0.1:`port` with nodemailer's SMTP
 * transport, `concurrency` sessions at once, one SMTP session per message (as mail from
 * many senders arrives), the raw bytes unchanged. Times each message from the connection to
 * the reply to the end of DATA (or the refusal before it).
 */
export async function driveSmtp(port: number, messages: readonly CorpusMessage[], concurrency: number): Promise<SmtpOutcome[]> {
  const transport = createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    name: 'bench-client.example',
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 300_000,
  });
  const out: SmtpOutcome[] = [];
  try {
    await runPool(messages.length, concurrency, async (i) => {
      const m = messages[i]!;
      const t0 = process.hrtime.bigint();
      let code: number | undefined;
      let reply: string;
      try {
        const info = (await transport.sendMail({ envelope: { from: 'sender@example.org', to: ['rcpt@example.net'] }, raw: m.bytes })) as { response?: string };
        reply = info.response ?? '';
        code = Number(/^\d{3}/.exec(reply)?.[0]);
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string };
        code = e.responseCode;
        reply = e.response ?? e.message;
      }
      const latencyMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const replyClass = classifyReply(code);
      out.push({ index: i, latencyMs, replyClass, reply: reply.slice(0, 300), correct: isExpectedReply(replyClass, m.eicar) });
    });
  } finally {
    transport.close();
  }
  return out;
}
