import type { Transform } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import type { SplitterChunk } from '@zone-eu/mailsplit';
import { generateCorpus } from '../../../../benchmarks/src/corpus/generate-corpus';
import { loadCorpus } from '../../../../test/helpers/corpus';
import { mutateMessage, seededRandom } from '../../../../test/helpers/mutate-message';
import * as wellFormed from './collect-well-formed-nodes';
import type { CollectedNode } from './collect-well-formed-nodes';
import { MimeError } from './mime-error';
import type { MimeNode } from './mime-node-info';
import { DEFAULT_MIME_LIMITS } from './mime-part';
import type { MimeLimits, SplitMessage } from './mime-part';
import { splitMessage } from './split-message';

/**
 * Differential test of the Buffer-level node collector against mailsplit: for
 * every input the fast collector either gives up (null) or splitMessage gives
 * exactly what it gives with mailsplit alone (every field of every part,
 * contents byte for byte, containers, headers, word counts, the same
 * MimeError). Ordinary messages must take the fast path.
 */

jest.setTimeout(300000);

const ITERATIONS = Number(process.env.AVFLEET_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.AVFLEET_FUZZ_SEED ?? 20240917);
const MAX_SEED_BYTES = 256 * 1024;

const realCollect = wellFormed.collectWellFormedNodes;
const collectSpy = jest.spyOn(wellFormed, 'collectWellFormedNodes');
afterAll(() => collectSpy.mockRestore());

type Outcome = { split: SplitMessage } | { error: { code: string; message: string } };

async function run(raw: Buffer, limits: MimeLimits): Promise<Outcome> {
  try {
    return { split: await splitMessage(raw, limits) };
  } catch (err) {
    if (err instanceof MimeError) return { error: { code: err.code, message: err.message } };
    throw err;
  }
}

/** splitMessage with mailsplit only, then with the fast collector; `fast` tells whether the top-level message took the fast path. */
async function bothWays(raw: Buffer, limits: MimeLimits = DEFAULT_MIME_LIMITS): Promise<{ slow: Outcome; fast: Outcome; taken: boolean }> {
  collectSpy.mockImplementation(() => null);
  const slow = await run(raw, limits);
  collectSpy.mockClear();
  collectSpy.mockImplementation(realCollect);
  const fast = await run(raw, limits);
  const first = collectSpy.mock.results[0];
  const taken = first !== undefined && first.type === 'return' && first.value !== null;
  return { slow, fast, taken };
}

function withoutContent(split: SplitMessage): unknown {
  return { ...split, parts: split.parts.map(({ content: _c, ...rest }) => rest) };
}

function expectSame(slow: Outcome, fast: Outcome, label: string): void {
  if ('error' in slow || 'error' in fast) {
    expect({ label, ...fast }).toEqual({ label, ...slow });
    return;
  }
  expect({ label, split: withoutContent(fast.split) }).toEqual({ label, split: withoutContent(slow.split) });
  fast.split.parts.forEach((p, i) => {
    if (!p.content.equals(slow.split.parts[i]!.content)) throw new Error(`${label}: part ${p.index} content differs`);
  });
}

/** collectNodes' mailsplit run, without limits: the node facts the fast collector must reproduce. */
function mailsplitNodes(raw: Buffer): Promise<CollectedNode[]> {
  return new Promise((resolve, reject) => {
    const splitter = new Splitter({ ignoreEmbedded: true, maxHeadSize: DEFAULT_MIME_LIMITS.maxHeaderBytes, maxChildNodes: 10000 });
    const nodes: CollectedNode[] = [];
    const byNode = new Map<MimeNode, CollectedNode>();
    splitter.on('data', (chunk: SplitterChunk) => {
      if (chunk.type === 'node') {
        let depth = 0;
        for (let p = chunk.parentNode; p; p = p.parentNode) depth++;
        const c = { node: chunk, depth, chunks: [] };
        nodes.push(c);
        byNode.set(chunk, c);
        return;
      }
      const owner = chunk.node ? byNode.get(chunk.node) : undefined;
      if (!owner || !chunk.value || chunk.value.length === 0) return;
      if (chunk.type === 'body' || (owner.node.multipart && !owner.node._boundary)) owner.chunks.push(chunk.value);
    });
    const stream = splitter as unknown as Transform;
    stream.on('error', reject);
    stream.on('end', () => resolve(nodes));
    splitter.end(raw);
  });
}

function nodeFacts(nodes: readonly CollectedNode[]): unknown[] {
  return nodes.map(({ node, depth, chunks }) => ({
    depth,
    parent: node.parentNode ? nodes.findIndex((n) => n.node === node.parentNode) : null,
    multipart: node.multipart,
    boundary: node._boundary ? node._boundary.toString('latin1') : false,
    contentType: node.contentType,
    encoding: node.encoding,
    charset: node.charset,
    filename: node.filename,
    disposition: node.disposition,
    partNr: node.partNr,
    messageNode: node.messageNode,
    headers: node.headers ? node.headers.getList() : false,
    headerBytes: node.headers ? node.headers.build().toString('latin1') : false,
    body: Buffer.concat(chunks).toString('latin1'),
  }));
}

const CRLF = (s: string): Buffer => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
const LF = (s: string): Buffer => Buffer.from(s, 'latin1');
const B64 = Buffer.from('PK\u0003\u0004 zip-ish attachment bytes, long enough to wrap '.repeat(8), 'latin1').toString('base64').replace(/.{76}/g, '$&\n');

const HEAD = 'From: a@example.com\nTo: b@example.com\nSubject: =?utf-8?q?Hall=C3=B6?= edge\nMessage-ID: <edge@x>\nMIME-Version: 1.0\n';
const mixed = (body: string, boundary = 'BB', extra = ''): string => `${HEAD}Content-Type: multipart/mixed; boundary="${boundary}"${extra}\n\n${body}`;

/** Hand-made edge messages; `fast` marks those the fast collector must handle itself. */
const EDGE: ReadonlyArray<{ name: string; raw: Buffer; fast?: boolean; limits?: Partial<MimeLimits> }> = [
  { name: 'single part, CRLF', raw: CRLF(`${HEAD}Content-Type: text/plain\n\nhello world\n`), fast: true },
  { name: 'single part, no final line ending', raw: CRLF(`${HEAD}\nhello world`), fast: true },
  { name: 'single part, empty body', raw: CRLF(`${HEAD}\n`), fast: true },
  { name: 'mbox From line', raw: CRLF(`From someone Mon Jan  1 00:00:00 2024\n${HEAD}\nbody\n`), fast: true },
  { name: 'multipart, CRLF', raw: CRLF(mixed(`preamble\n--BB\nContent-Type: text/plain\n\none two\n--BB\nContent-Type: application/zip; name="a.zip"\nContent-Transfer-Encoding: base64\n\n${B64}\n--BB--\n`)), fast: true },
  { name: 'multipart, bare LF', raw: LF(mixed(`preamble\n--BB\nContent-Type: text/plain\n\none two\n--BB\nContent-Transfer-Encoding: base64\nContent-Type: application/zip\n\n${B64}\n--BB--\n`)), fast: true },
  { name: 'multipart, mixed CRLF and LF', raw: LF(mixed('pre\r\n--BB\r\nContent-Type: text/plain\n\r\none\r\ntwo\n--BB\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--BB--\r\n')), fast: true },
  { name: 'nested multiparts', fast: true, raw: CRLF(mixed('--BB\nContent-Type: multipart/alternative; boundary="AA"\n\n--AA\nContent-Type: text/plain\n\nplain\n--AA\nContent-Type: multipart/related; boundary=RR\n\n--RR\nContent-Type: text/html\n\n<b>x</b>\n--RR\nContent-Type: image/png\nContent-ID: <i@x>\n\npng\n--RR--\n--AA--\nepilogue of AA\n--BB\nContent-Type: application/pdf\n\n%PDF\n--BB--\nepilogue\n')) },
  { name: 'boundary that prefixes the inner one', fast: true, raw: CRLF(mixed('--b\nContent-Type: multipart/mixed; boundary="b-"\n\n--b-\n\nx\n--b---\n--b\n\ny\n--b--\n', 'b')) },
  { name: 'missing end boundary', raw: CRLF(mixed('--BB\nContent-Type: text/plain\n\none\n--BB\nContent-Type: text/plain\n\ntwo\n')) },
  { name: 'missing inner end boundary', raw: CRLF(mixed('--BB\nContent-Type: multipart/alternative; boundary="AA"\n\n--AA\n\nplain\n--BB\n\nafter\n--BB--\n')) },
  { name: 'delimiters with trailing spaces and tabs', fast: true, raw: CRLF(mixed('--BB \t \nContent-Type: text/plain\n\none\n--BB\t\n\ntwo\n--BB--   \n')) },
  { name: 'delimiter with a CR run', raw: CRLF(mixed('--BB\r\r\n\none\r\r\n--BB--\r\r\n')) },
  { name: 'delimiter after a bare CR', raw: LF(mixed('--BB\r\n\r\none\r--BB\r\n\r\ntwo\r\n--BB--\r\n')) },
  { name: 'delimiter-like lines that do not match', fast: true, raw: CRLF(mixed('--BBx\n--B\n-- \n--BB\n\n--BB-x\n-- \nsignature\n--BB--\n')) },
  { name: 'preamble and epilogue', fast: true, raw: CRLF(mixed('This is MIME.\n--BB-- in preamble?\n\n--BB\n\nbody\n--BB--\nepilogue\n--BB\nmore epilogue\n')) },
  { name: 'closing delimiter in the preamble', raw: CRLF(mixed('--BB--\n--BB\n\nbody\n--BB--\n')) },
  { name: 'closing delimiter at the end without line ending', fast: true, raw: CRLF(mixed('--BB\n\nbody\n--BB--')) },
  { name: 'closing delimiter at the end after a lone blank line', fast: true, raw: CRLF(mixed('--BB\n\n\n--BB--')) },
  { name: 'next-part delimiter at the very end', raw: CRLF(mixed('--BB\n\nbody\n--BB')) },
  { name: 'next-part delimiter and CR at the very end', raw: LF(mixed('--BB\n\nbody\n--BB\r')) },
  { name: 'empty parts', fast: true, raw: CRLF(mixed('--BB\n\n--BB\nContent-Type: text/plain\n\n\n--BB\n\n\n\n--BB\nContent-Type: application/octet-stream\n\n--BB\n\n\n--BB--\n')) },
  { name: 'empty parts, bare LF', fast: true, raw: LF(mixed('--BB\n\n--BB\n\n\n--BB\n\n\n\n--BB\n\n\n--BB--\n')) },
  { name: 'single part with a boundary parameter', raw: CRLF(`${HEAD}Content-Type: text/plain; boundary="BB"\n\npre\n--BB\n\nx\n--BB--\n`) },
  { name: 'closing delimiter after a bare CR at the end', raw: LF(mixed('--BB\n\nbody\n\n\r--BB--')) },
  { name: 'multipart without boundary', raw: CRLF(`${HEAD}Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n`) },
  { name: 'nested multipart without boundary', raw: CRLF(mixed('--BB\nContent-Type: multipart/alternative\n\n--q\n\nx\n--BB\n\ny\n--BB--\n')) },
  { name: 'non-ASCII boundary', raw: Buffer.concat([CRLF(`${HEAD}Content-Type: multipart/mixed; boundary="ab`), Buffer.from([0xc3, 0xa9]), CRLF('"\n\n--ab\n\nx\n')]) },
  { name: 'boundary with a comment', fast: true, raw: CRLF(`${HEAD}Content-Type: multipart/mixed; boundary=bnd (comment)\n\n--bnd\n\nx\n--bnd--\n`) },
  { name: 'digest', fast: true, raw: CRLF(`${HEAD}Content-Type: multipart/digest; boundary="DD"\n\n--DD\n\nFrom: x@y\nSubject: one\n\nfirst\n--DD\n\nFrom: z@y\nSubject: two\nContent-Type: multipart/mixed; boundary=IN\n\n--IN\n\ninner\n--IN--\n--DD--\n`) },
  { name: 'message/rfc822', fast: true, raw: CRLF(mixed(`--BB\nContent-Type: text/plain\n\ncover\n--BB\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\nFrom: c@d\nSubject: inner\nContent-Type: multipart/mixed; boundary="II"\n\n--II\n\ninner text\n--II\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n${B64}\n--II--\n--BB--\n`)) },
  { name: 'base64 message/rfc822', fast: true, raw: CRLF(mixed(`--BB\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n${Buffer.from('Subject: b64\r\nContent-Type: text/plain\r\n\r\nhidden words here\r\n').toString('base64')}\n--BB--\n`)) },
  { name: 'header folding', fast: true, raw: CRLF(`${HEAD}Content-Type: multipart/mixed;\n\tboundary="folded"\n\n--folded\nContent-Type: application/octet-stream;\n  name="=?utf-8?B?w6TDtsO8LmV4ZQ==?="\nContent-Disposition: attachment;\n filename*=utf-8''%C3%A4.bin\n\nx\n--folded--\n`) },
  { name: 'header line that starts with dashes', raw: CRLF(mixed('--BB\n--BB-not-a-header\nContent-Type: text/plain\n\nx\n--BB--\n')) },
  { name: 'delimiter inside a header block', raw: CRLF(mixed('--BB\nContent-Type: text/plain\n--BB\n\nx\n--BB--\n')) },
  { name: 'headers never end', raw: CRLF(`${HEAD}Content-Type: text/plain`) },
  { name: 'empty message', raw: Buffer.alloc(0) },
  { name: 'very long header', fast: true, raw: CRLF(`${HEAD}X-Long: ${'y'.repeat(200000)}\n\nbody\n`) },
  { name: 'header over maxHeaderBytes', raw: CRLF(`${HEAD}X-Long: ${'y'.repeat(5000)}\n\nbody\n`), limits: { maxHeaderBytes: 2048 } },
  { name: 'part header over maxHeaderBytes', raw: CRLF(mixed(`--BB\nX-Long: ${'y'.repeat(5000)}\n\nbody\n--BB--\n`)), limits: { maxHeaderBytes: 2048 } },
  { name: 'too many parts', raw: CRLF(mixed(`${'--BB\n\nx\n'.repeat(30)}--BB--\n`)), limits: { maxParts: 5 } },
  { name: 'too deep', raw: CRLF(mixed('--BB\nContent-Type: multipart/mixed; boundary=C1\n\n--C1\nContent-Type: multipart/mixed; boundary=C2\n\n--C2\n\nx\n--C2--\n--C1--\n--BB--\n')), limits: { maxDepth: 2 } },
  { name: 'too deep through message/rfc822', raw: CRLF(mixed('--BB\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=C1\n\n--C1\n\nx\n--C1--\n--BB--\n')), limits: { maxDepth: 2 } },
  { name: 'delimiter with too much trailing whitespace', raw: CRLF(mixed(`--BB\n\nx\n--BB--${' '.repeat(1200)}\nrest\n`)) },
  { name: 'quoted-printable and uuencode', fast: true, raw: CRLF(mixed('--BB\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 =\nsoft  \n--BB\nContent-Type: text/plain\n\nsee\nbegin 644 a.txt\n#86)C\n`\nend\n--BB--\n')) },
];

/** Lines that start with "--" (delimiter candidates) of a message. */
function dashLines(b: Buffer): number[] {
  const out: number[] = [];
  for (let p = b.indexOf('--'); p >= 0; p = b.indexOf('--', p + 2)) if (p === 0 || b[p - 1] === 0x0a) out.push(p);
  return out;
}

/** Mutations aimed at delimiter lines: trailing whitespace, CR runs, line endings around them, duplication, cutting at them. */
function mutateDelimiter(input: Buffer, rand: () => number): Buffer {
  const lines = dashLines(input);
  if (lines.length === 0) return input;
  const start = lines[Math.floor(rand() * lines.length)]!;
  const nl = input.indexOf(0x0a, start);
  const end = nl < 0 ? input.length : nl + 1;
  let textEnd = end;
  while (textEnd > start && (input[textEnd - 1] === 0x0a || input[textEnd - 1] === 0x0d)) textEnd--;
  const line = input.subarray(start, textEnd);
  const eol = input.subarray(textEnd, end);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const replace = (s: number, e: number, ...bufs: Buffer[]): Buffer => Buffer.concat([input.subarray(0, s), ...bufs, input.subarray(e)]);
  const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
  switch (Math.floor(rand() * 8)) {
    case 0: return replace(textEnd, textEnd, ascii(pick([' ', '\t', '  \t', ' x', '--', '-'])));
    case 1: return replace(textEnd, end, ascii(pick(['\r', '\r\r\n', '\n', '\r\n\r\n', ''])));
    case 2: { // the line ending in front of the delimiter
      let s = start;
      while (s > 0 && (input[s - 1] === 0x0a || input[s - 1] === 0x0d) && start - s < 2) s--;
      return replace(s, start, ascii(pick(['', '\n', '\r', '\r\n', '\n\n', '\r\n\r\n', '\n\r'])));
    }
    case 3: return replace(start, end); // drop the delimiter
    case 4: return replace(end, end, line, eol); // repeat it
    case 5: return input.subarray(0, pick([textEnd, end, start])); // cut there
    case 6: return replace(start, start, line, ascii('--'), eol); // a closing delimiter in front of it
    default: return replace(start, start + 2, ascii(pick(['-', '---', '\r--', ' --']))); // damage the dashes
  }
}

let corpusSeeds: Buffer[] = [];
let generatedSeeds: Buffer[] = [];

describe('collectWellFormedNodes', () => {
  beforeAll(() => {
    corpusSeeds = loadCorpus().map((m) => m.raw());
    generatedSeeds = generateCorpus({ messages: 60, seed: 'well-formed-nodes', maxAttachmentBytes: 96 * 1024 }).messages.map((m) => m.bytes);
  });

  it('gives mailsplit\'s nodes, headers and body bytes for the test corpus (generated, plus shared when present), and takes the fast path for at least 90 % of it', async () => {
    let taken = 0;
    for (const raw of corpusSeeds) {
      const fast = realCollect(raw, 0, DEFAULT_MIME_LIMITS);
      if (fast === null) continue;
      taken++;
      expect(nodeFacts(fast)).toEqual(nodeFacts(await mailsplitNodes(raw)));
    }
    expect(taken / corpusSeeds.length).toBeGreaterThanOrEqual(0.9);
  });

  it('splits every test corpus message exactly as mailsplit does', async () => {
    for (const [i, raw] of corpusSeeds.entries()) {
      const { slow, fast } = await bothWays(raw);
      expectSame(slow, fast, `corpus #${i}`);
    }
  });

  it('takes the fast path for every generated bench message, with the same split', async () => {
    for (const [i, raw] of generatedSeeds.entries()) {
      const { slow, fast, taken } = await bothWays(raw);
      expect({ i, taken }).toEqual({ i, taken: true });
      expectSame(slow, fast, `generated #${i}`);
      expect(nodeFacts(realCollect(raw, 0, DEFAULT_MIME_LIMITS)!)).toEqual(nodeFacts(await mailsplitNodes(raw)));
    }
  });

  it.each(EDGE.map((e) => [e.name, e] as const))('edge message: %s', async (_name, edge) => {
    const limits = { ...DEFAULT_MIME_LIMITS, ...edge.limits };
    const { slow, fast, taken } = await bothWays(edge.raw, limits);
    expectSame(slow, fast, edge.name);
    if (edge.fast) {
      expect(taken).toBe(true);
      expect(nodeFacts(realCollect(edge.raw, 0, limits)!)).toEqual(nodeFacts(await mailsplitNodes(edge.raw)));
    }
  });

  it('agrees with mailsplit on the edge messages with all line endings LF, and all CRLF', async () => {
    for (const edge of EDGE) {
      for (const raw of [Buffer.from(edge.raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), Buffer.from(edge.raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')]) {
        const { slow, fast } = await bothWays(raw, { ...DEFAULT_MIME_LIMITS, ...edge.limits });
        expectSame(slow, fast, `${edge.name} (line endings)`);
      }
    }
  });

  it(`agrees with mailsplit on ${ITERATIONS} mutated messages (seed ${SEED})`, async () => {
    const rand = seededRandom(SEED);
    const seeds = [...corpusSeeds.filter((b) => b.length <= MAX_SEED_BYTES), ...generatedSeeds, ...EDGE.map((e) => e.raw)];
    const tightLimits: MimeLimits = { ...DEFAULT_MIME_LIMITS, maxParts: 3, maxDepth: 2, maxHeaderBytes: 1500 };
    let taken = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = seeds[Math.floor(rand() * seeds.length)]!;
      const input = rand() < 0.5 ? mutateDelimiter(mutateDelimiter(seed, rand), rand) : mutateMessage(seed, rand);
      const limits = rand() < 0.15 ? tightLimits : DEFAULT_MIME_LIMITS;
      const { slow, fast, taken: t } = await bothWays(input, limits);
      const label = `iteration ${i} (seed ${SEED}), input ${JSON.stringify(input.subarray(0, 120).toString('latin1'))}`;
      expectSame(slow, fast, label);
      if (!t) continue;
      taken++;
      expect({ label, nodes: nodeFacts(realCollect(input, 0, limits)!) }).toEqual({ label, nodes: nodeFacts(await mailsplitNodes(input)) });
    }
    // The mutations must exercise the fast path, not only the fallback.
    expect(taken).toBeGreaterThan(ITERATIONS / 4);
  });
});
