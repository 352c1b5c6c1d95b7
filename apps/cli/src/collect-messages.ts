import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One message to scan and where it came from (`file`, or `mbox#3`). */
export interface MessageSource {
  readonly label: string;
  readonly load: () => Buffer;
}

/** Files scanned per invocation at most; beyond it the command asks for smaller batches. */
const MAX_SCAN_INPUTS = 100_000;

/** FILE|DIR|MBOX… → messages. Directories are walked (sorted); an mbox file is split at its `From ` lines. */
export function collectMessages(paths: readonly string[]): MessageSource[] {
  const out: MessageSource[] = [];
  for (const p of paths) walk(p, out);
  return out;
}

function walk(path: string, out: MessageSource[]): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name.startsWith('.')) continue;
      walk(join(path, name), out);
    }
    return;
  }
  if (!st.isFile()) return;
  if (out.length >= MAX_SCAN_INPUTS) throw new Error(`more than ${MAX_SCAN_INPUTS} messages; scan in smaller batches`);
  if (isMbox(path)) {
    const messages = splitMbox(readFileSync(path));
    messages.forEach((m, i) => out.push({ label: `${path}#${i + 1}`, load: () => m }));
    return;
  }
  out.push({ label: path, load: () => readFileSync(path) });
}

function isMbox(path: string): boolean {
  const head = Buffer.alloc(5);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 5, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1') === 'From ';
}

/** Splits an mbox (mboxo/mboxrd) at lines starting with `From `; `>From ` lines are unescaped one level. */
export function splitMbox(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  const starts: number[] = [];
  const re = /^From .*$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  const messages: Buffer[] = [];
  for (let i = 0; i < starts.length; i++) {
    const fromLineEnd = text.indexOf('\n', starts[i]);
    const bodyStart = fromLineEnd < 0 ? text.length : fromLineEnd + 1;
    const end = i + 1 < starts.length ? starts[i + 1] : text.length;
    const body = text.slice(bodyStart, end).replace(/^>(>*From )/gm, '$1');
    messages.push(Buffer.from(body, 'latin1'));
  }
  return messages;
}
