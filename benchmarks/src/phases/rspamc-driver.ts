import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { findExecutable } from '../../../test/helpers/daemon-process';
import type { CorpusMessage } from '../corpus/generate-corpus';
import type { DrivenMessage } from './measure-pass';

/** Splits concatenated JSON objects (rspamc prints one per file) at brace depth 0. */
export function splitJsonObjects(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // a broken object counts as a missing answer
        }
        start = -1;
      }
    }
  }
  return out;
}

interface RspamcResult {
  filename?: string;
  action?: string;
  scan_time?: number;
  error?: string;
}

/**
 * Feeds the corpus files to Rspamd with one `rspamc -n CONCURRENCY -j` (rspamc keeps that
 * many requests in flight). Latency is rspamc's own per-file `scan_time` (client side).
 */
export async function driveRspamc(hostPort: string, files: readonly string[], messages: readonly CorpusMessage[], concurrency: number): Promise<DrivenMessage[]> {
  const rspamc = findExecutable('rspamc');
  if (!rspamc) throw new Error("AVF_ERR_BENCH_RSPAMC: 'rspamc' is not installed (Debian package rspamd)");
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(rspamc, ['-h', hostPort, '-n', String(concurrency), '-t', '300', '--compact', '-j', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => errs.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (code !== 0 && text.trim() === '') reject(new Error(`AVF_ERR_BENCH_RSPAMC: rspamc exited ${code}: ${Buffer.concat(errs).toString('utf8').slice(0, 500)}`));
      else resolve(text);
    });
  });
  const byName = new Map<string, RspamcResult>();
  for (const obj of splitJsonObjects(stdout) as RspamcResult[]) if (obj.filename) byName.set(basename(obj.filename), obj);
  return messages.map((m) => {
    const r = byName.get(m.file);
    const ok = r !== undefined && typeof r.action === 'string' && r.error === undefined;
    return { latencyMs: (r?.scan_time ?? 0) * 1000, ok, correct: ok && (r.action === 'reject') === m.eicar };
  });
}
