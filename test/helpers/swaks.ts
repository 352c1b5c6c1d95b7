import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { requireExecutable } from './daemon-process';
import { repoTmpPath } from './repo-root';

export interface SwaksRun {
  /** The SMTP reply that decided the message: to the end of DATA, or the first refusal before it. */
  readonly verdict: string;
  /** Wall-clock time of the whole conversation. */
  readonly ms: number;
  /** swaks's transcript, for failure messages. */
  readonly transcript: string;
}

/**
 * The reply that decided the message in a swaks transcript: the first reply
 * (`<-` or `<**`) after the end of DATA (` -> .`, or ` -> N lines sent` with
 * `--suppress-data`), or else the first refusal (`<**`).
 */
export function decidingReply(transcript: string): string {
  const lines = transcript.split(/\r?\n/);
  const reply = (l: string): string => l.replace(/^<(?:-|\*\*)\s+/, '').trim();
  const dot = lines.findIndex((l) => /^-> (?:\.|\d+ lines sent)$/.test(l.trim()));
  if (dot !== -1) {
    const after = lines.slice(dot + 1).find((l) => l.startsWith('<'));
    if (after !== undefined) return reply(after);
  }
  const refused = lines.find((l) => l.startsWith('<**'));
  return refused === undefined ? '(no reply)' : reply(refused);
}

/** Sends the raw message in `file` with Debian's swaks to 127.0.0.1:port (the message itself is not echoed: `--suppress-data`). */
export function swaks(port: number, file: string, timeoutMs = 60_000): Promise<SwaksRun> {
  const bin = requireExecutable('swaks', 'swaks');
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--server', `127.0.0.1:${port}`, '--from', 'sender@example.org', '--to', 'rcpt@example.net', '--helo', 'client.example', '--data', `@${file}`, '--suppress-data', '--timeout', String(Math.ceil(timeoutMs / 1000))],
      { timeout: timeoutMs + 5000, maxBuffer: 4 * 1024 * 1024 },
      (_err, stdout, stderr) => {
        const transcript = `${stdout}${stderr}`;
        resolve({ verdict: decidingReply(transcript), ms: Date.now() - t0, transcript });
      },
    );
  });
}

/** `swaks` for a message held in memory: written to a temporary file under the checkout's tmp folder, removed afterwards. */
export async function swaksMessage(port: number, raw: Buffer, timeoutMs?: number): Promise<SwaksRun> {
  mkdirSync(repoTmpPath(), { recursive: true });
  const file = repoTmpPath(`swaks-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, raw);
  try {
    return await swaks(port, file, timeoutMs);
  } finally {
    rmSync(file, { force: true });
  }
}
