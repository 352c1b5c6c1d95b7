import { buildGzip, buildZip } from '../../benchmarks/src/corpus/zip-writer';
import { buildMimeMessage, type MimeLeaf, type MimeNode } from '../../benchmarks/src/corpus/build-message';
import { EICAR } from '../../benchmarks/src/corpus/make-attachment';
import { SeededRandom } from '../../benchmarks/src/corpus/seeded-random';
import { tar } from '../../packages/core/test/archive-writers';
import type { CorpusEntry } from './corpus-entry';
import { loadTestSignatures, reportedName, type TestSignature } from './test-signatures';

/**
 * avfleet's own test corpus, built in memory from the project's own samples (test/corpus/README.md).
 * Every message comes with a manifest entry of the shape of the shared corpus's (test/helpers/corpus.ts
 * CorpusEntry), and its expected Rspamd outcome is derived from what was built: which parts Rspamd's
 * antivirus module selects with the reference rule (test/fixtures/configs/reference-clamav.conf) and
 * what clamd reports for each with the test signature database (test/corpus/test-signatures.ts).
 */

/** What one body is: its bytes and, for containers, what clamd opens inside it. */
interface Payload {
  readonly data: Buffer;
  readonly container?: 'zip' | 'tar' | 'gzip' | 'mail';
  readonly members?: readonly { readonly name: string; readonly payload: Payload }[];
  /** The zip says its members are encrypted. */
  readonly encrypted?: boolean;
}

interface Leaf {
  readonly kind: 'leaf';
  readonly mime: Omit<MimeLeaf, 'kind' | 'data'>;
  readonly payload: Payload;
}
interface Multi {
  readonly kind: 'multipart';
  readonly subtype: string;
  readonly parts: readonly Node[];
  readonly unterminated?: boolean;
}
interface Attached {
  readonly kind: 'message';
  readonly filename?: string;
  readonly subject: string;
  readonly root: Node;
}
type Node = Leaf | Multi | Attached;

interface Case {
  readonly name: string;
  readonly notes: string;
  readonly categories: readonly string[];
  readonly root: Node;
  readonly malformed?: boolean;
  /** Raw bytes instead of a rendered tree (malformed on purpose); the tree still describes what a parser finds. */
  readonly render?: (headers: readonly string[]) => Buffer;
  readonly eicarVariant?: 'split';
}

const FAKE_PATTERN = Buffer.from('testpatterneicar', 'latin1');
const file = (data: Buffer | string): Payload => ({ data: Buffer.from(data) });

function zipOf(entries: readonly { name: string; payload: Payload; store?: boolean }[], opts: { encrypted?: boolean } = {}): Payload {
  return {
    data: buildZip(entries.map((e) => ({ name: e.name, data: e.payload.data, deflate: !e.store && !opts.encrypted, encrypted: opts.encrypted }))),
    container: 'zip',
    members: entries.map((e) => ({ name: e.name, payload: e.payload })),
    encrypted: opts.encrypted,
  };
}
function tarOf(entries: readonly { name: string; payload: Payload }[]): Payload {
  return { data: tar(Object.fromEntries(entries.map((e) => [e.name, e.payload.data.toString('latin1')]))), container: 'tar', members: entries };
}
const gzOf = (name: string, payload: Payload): Payload => ({ data: buildGzip(name, payload.data), container: 'gzip', members: [{ name, payload }] });

const attachment = (filename: string, contentType: string, payload: Payload, encoding: MimeLeaf['encoding'] = 'base64', more: Partial<Leaf['mime']> = {}): Leaf => ({
  kind: 'leaf',
  mime: { contentType, filename, encoding, ...more },
  payload,
});
const text = (body: string, subtype = 'plain'): Leaf => ({ kind: 'leaf', mime: { contentType: `text/${subtype}; charset=utf-8`, encoding: '7bit' }, payload: file(body.replace(/\r?\n/g, '\r\n')) });
const mixed = (...parts: Node[]): Multi => ({ kind: 'multipart', subtype: 'mixed', parts });

function headers(name: string, subject: string): string[] {
  return ['From: Sender <sender@example.org>', 'To: Recipient <rcpt@example.net>', `Subject: ${subject}`, 'Date: Thu, 26 Nov 2026 10:00:00 +0000', `Message-ID: <${name}@avfleet.test>`];
}

/**
 * Renders a tree; boundaries are numbered in document order so every message is the same on every
 * run. `rendered` receives the bytes of every attached message, at any depth.
 */
function toMime(node: Node, name: string, rendered: Map<Attached, Buffer>, counter = { n: 0 }): MimeNode {
  switch (node.kind) {
    case 'leaf':
      return { kind: 'leaf', ...node.mime, data: node.payload.data };
    case 'multipart':
      return { kind: 'multipart', subtype: node.subtype, boundary: `=_avfleet_${name}_${counter.n++}`, parts: node.parts.map((p) => toMime(p, name, rendered, counter)), unterminated: node.unterminated };
    case 'message': {
      const n = counter.n++;
      const message = buildMimeMessage(headers(`${name}.inner${n}`, node.subject), toMime(node.root, `${name}_i${n}`, rendered, counter));
      rendered.set(node, message);
      return { kind: 'message', filename: node.filename, message };
    }
  }
}

/** The payload of an attached message as clamd sees it: the message, with every leaf inside as a member. */
function messagePayload(node: Attached, rendered: (n: Attached) => Buffer): Payload {
  const bytes = rendered(node);
  const members: { name: string; payload: Payload }[] = [];
  const walk = (n: Node): void => {
    if (n.kind === 'leaf') members.push({ name: n.mime.filename ?? '(body)', payload: n.payload });
    else if (n.kind === 'multipart') n.parts.forEach(walk);
    else members.push({ name: n.filename ?? '(message)', payload: messagePayload(n, rendered) });
  };
  walk(node.root);
  return { data: bytes, container: 'mail', members };
}

function cases(rng: SeededRandom, sigs: readonly TestSignature[]): Case[] {
  const pdf = file('%PDF-1.4\n% avfleet test document\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const png = file(Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e30000000049454e44ae426082', 'hex'));
  const exe = file(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('This program cannot be run in DOS mode.\r\n'), rng.bytes(300)]));
  const docx = zipOf([
    { name: '[Content_Types].xml', payload: file('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>') },
    { name: '_rels/.rels', payload: file('<?xml version="1.0"?><Relationships/>') },
    { name: 'word/document.xml', payload: file(`<?xml version="1.0"?><document><body><p>${rng.text(2000)}</p></body></document>`) },
  ]);
  const eicar = file(EICAR);
  const eicarHalf = [EICAR.subarray(0, 34), EICAR.subarray(34)];
  const clamTest = sigs.find((s) => s.name === 'ClamAV-Test-File' && s.body);
  const body = (s: string): Leaf => text(`${s}\n`);
  const forwardEicar: Attached = { kind: 'message', filename: 'forwarded.eml', subject: 'Fwd: tools', root: mixed(body('See the attached tool.'), attachment('eicar.com', 'application/octet-stream', eicar)) };

  const list: Case[] = [
    { name: 'clean_text_plain', notes: 'Single-part text/plain, no attachment.', categories: ['plain', 'single-part', 'enc-7bit'], root: body(rng.text(1500)) },
    {
      name: 'clean_alternative_html', notes: 'multipart/alternative: text and HTML, no attachment.', categories: ['alternative', 'html'],
      root: { kind: 'multipart', subtype: 'alternative', parts: [body('Hello in text.'), text('<html><body><p>Hello in <b>HTML</b>.</p></body></html>', 'html')] },
    },
    { name: 'clean_pdf_attachment', notes: 'A small PDF attachment.', categories: ['mixed', 'pdf', 'enc-base64'], root: mixed(body('The report is attached.'), attachment('report.pdf', 'application/pdf', pdf)) },
    {
      name: 'clean_office_and_image', notes: 'An OOXML document (a zip) and a PNG, both attachments.', categories: ['mixed', 'office', 'multi-attachment', 'enc-base64'],
      root: mixed(body('Two files.'), attachment('minutes.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', docx), attachment('chart.png', 'image/png', png)),
    },
    {
      name: 'clean_inline_image_related', notes: 'HTML with an inline image referenced by Content-ID (multipart/related).', categories: ['related', 'inline-image', 'html'],
      root: { kind: 'multipart', subtype: 'related', parts: [text('<html><body><img src="cid:logo@avfleet"></body></html>', 'html'), attachment('logo.png', 'image/png', png, 'base64', { disposition: 'inline', contentId: 'logo@avfleet' })] },
    },
    { name: 'clean_big_attachment', notes: '300 KB of pseudo-random bytes (incompressible).', categories: ['mixed', 'enc-base64'], root: mixed(body('Backup.'), attachment('backup.bin', 'application/octet-stream', file(rng.bytes(300 * 1024)))) },
    {
      name: 'clean_many_attachments', notes: 'Twenty small text attachments.', categories: ['mixed', 'many-attachments'],
      root: mixed(body('Logs.'), ...Array.from({ length: 20 }, (_, i) => attachment(`log-${String(i + 1).padStart(2, '0')}.txt`, 'text/plain', file(rng.text(400)), i % 2 ? 'quoted-printable' : 'base64'))),
    },
    {
      name: 'clean_nested_messages', notes: 'A forwarded message that itself forwards a message (message/rfc822 in message/rfc822), all clean.', categories: ['rfc822', 'nested'],
      root: mixed(body('Forwarding the thread.'), { kind: 'message', filename: 'outer.eml', subject: 'Fwd: thread', root: mixed(body('Earlier:'), { kind: 'message', filename: 'inner.eml', subject: 'thread', root: mixed(body('Minutes attached.'), attachment('minutes.pdf', 'application/pdf', pdf)) }) }),
    },
    { name: 'eicar_attach_base64', notes: 'The 68-byte EICAR file as a base64 attachment.', categories: ['eicar', 'mixed', 'enc-base64'], root: mixed(body('Tool attached.'), attachment('eicar.com', 'application/octet-stream', eicar)) },
    { name: 'eicar_attach_qp', notes: 'EICAR as a quoted-printable text attachment.', categories: ['eicar', 'mixed', 'enc-qp'], root: mixed(body('Text file attached.'), attachment('eicar.txt', 'text/plain', eicar, 'quoted-printable')) },
    { name: 'eicar_attach_7bit', notes: 'EICAR as a 7bit text attachment.', categories: ['eicar', 'mixed', 'enc-7bit'], root: mixed(body('Text file attached.'), attachment('readme.txt', 'text/plain', eicar, '7bit')) },
    { name: 'eicar_attach_x_uuencode', notes: 'EICAR with Content-Transfer-Encoding: x-uuencode.', categories: ['eicar', 'mixed', 'enc-uuencode'], root: mixed(body('Old-style attachment.'), attachment('eicar.com', 'application/octet-stream', eicar, 'x-uuencode')) },
    { name: 'eicar_rfc2231_filename', notes: 'EICAR under a non-ASCII name given only as RFC 2231 filename*.', categories: ['eicar', 'i18n-filename'], root: mixed(body('Счёт во вложении.'), attachment('счёт №7.com', 'application/octet-stream', eicar, 'base64', { nameIn: 'rfc2231' })) },
    { name: 'eicar_declared_image_png', notes: 'Declared image/png attachment whose content is EICAR: the attachment disposition selects it although images are off.', categories: ['eicar', 'misleading-type'], root: mixed(body('Logo.'), attachment('logo.png', 'image/png', eicar)) },
    {
      name: 'eicar_clean_and_infected', notes: 'Two clean attachments and EICAR as the third.', categories: ['eicar', 'mixed', 'multi-attachment'],
      root: mixed(body('Three files.'), attachment('report.txt', 'text/plain', file(rng.text(800))), attachment('data.bin', 'application/octet-stream', file(rng.bytes(2000))), attachment('tool.exe', 'application/x-msdownload', eicar)),
    },
    { name: 'eicar_duplicate_attachments', notes: 'The same EICAR file attached twice.', categories: ['eicar', 'multi-attachment'], root: mixed(body('Twice.'), attachment('copy1.com', 'application/octet-stream', eicar), attachment('copy2.com', 'application/octet-stream', eicar)) },
    { name: 'eicar_trailing_bytes', notes: 'EICAR at offset 0 followed by 1000 other bytes (still matched by the database\'s body signature).', categories: ['eicar', 'eicar-variant'], root: mixed(body('Sample.'), attachment('sample.bin', 'application/octet-stream', file(Buffer.concat([EICAR, rng.bytes(1000)])))) },
    {
      name: 'eicar_deep_multipart', notes: 'EICAR five multipart/mixed levels deep.', categories: ['eicar', 'nested'],
      root: [1, 2, 3, 4].reduce<Node>((inner) => mixed(inner), mixed(body('Deep.'), attachment('deep.com', 'application/octet-stream', eicar))),
    },
    { name: 'eicar_zip', notes: 'EICAR deflated in a zip.', categories: ['eicar', 'archive', 'zip'], root: mixed(body('Invoice.'), attachment('invoice.zip', 'application/zip', zipOf([{ name: 'eicar.com', payload: eicar }]))) },
    {
      name: 'eicar_zip_nested_3', notes: 'Zip in zip in zip; EICAR three archive levels deep.', categories: ['eicar', 'archive', 'zip', 'nested-archive'],
      root: mixed(body('Nested.'), attachment('level1.zip', 'application/zip', zipOf([{ name: 'level2.zip', payload: zipOf([{ name: 'level3.zip', payload: zipOf([{ name: 'inner/eicar.com', payload: eicar }]) }]) }]))),
    },
    {
      name: 'eicar_tar_gz', notes: 'gzip-compressed tar, a clean member first.', categories: ['eicar', 'archive', 'tar', 'gzip'],
      root: mixed(body('Logs.'), attachment('logs.tar.gz', 'application/gzip', gzOf('logs.tar', tarOf([{ name: 'logs/readme.txt', payload: file('Read me.\n') }, { name: 'logs/eicar.com', payload: eicar }])))),
    },
    { name: 'eicar_forwarded_rfc822', notes: 'A forwarded message (message/rfc822 attachment) carrying EICAR as a base64 attachment.', categories: ['eicar', 'rfc822', 'nested'], root: mixed(body('Forwarding.'), forwardEicar) },
    {
      name: 'eicar_forwarded_in_forwarded', notes: 'EICAR inside a message attached to a message attached to the mail.', categories: ['eicar', 'rfc822', 'nested'],
      root: mixed(body('Forwarding again.'), { kind: 'message', filename: 'twice.eml', subject: 'Fwd: Fwd: tools', root: mixed(body('Forwarded:'), forwardEicar) }),
    },
    { name: 'eicar_zip_path_traversal', notes: 'EICAR stored in a zip under a member name that climbs out of the extraction folder.', categories: ['eicar', 'archive', 'zip', 'filename-filter'], root: mixed(body('Update.'), attachment('update.zip', 'application/zip', zipOf([{ name: '../../tmp/eicar.com', payload: eicar, store: true }]))) },
    { name: 'eicar_inline_cid_related', notes: 'EICAR as an inline image with a Content-ID: Rspamd\'s part selection leaves it out (no attachment, image with Content-ID).', categories: ['eicar', 'inline-image', 'related', 'misleading-type'], root: { kind: 'multipart', subtype: 'related', parts: [text('<html><body><img src="cid:logo@x"></body></html>', 'html'), attachment('logo.gif', 'image/gif', eicar, 'base64', { disposition: 'inline', contentId: 'logo@x' })] } },
    { name: 'eicar_noname_octet_stream', notes: 'EICAR in an unnamed application/octet-stream part without Content-Disposition: not an attachment for Rspamd.', categories: ['eicar', 'mixed', 'no-filename'], root: mixed(body('No name.'), { kind: 'leaf', mime: { contentType: 'application/octet-stream', encoding: 'base64' }, payload: eicar }) },
    { name: 'eicar_text_body', notes: 'EICAR as the single-part text body: part mode with text off scans nothing.', categories: ['eicar', 'plain', 'text-body'], root: text(`${EICAR.toString('latin1')}\n`) },
    {
      name: 'eicar_split_two_parts', notes: 'The two halves of EICAR in two attachments: no contiguous copy, must not be reported.', categories: ['eicar-negative', 'mixed'], eicarVariant: 'split',
      root: mixed(body('Halves.'), attachment('part1.txt', 'text/plain', file(eicarHalf[0]!)), attachment('part2.txt', 'text/plain', file(eicarHalf[1]!))),
    },
    { name: 'eicar_fake_pattern', notes: 'An attachment that is exactly the eicar_fake_pattern bytes; only a rule with eicar_fake_pattern turns it into EICAR.', categories: ['fake-pattern'], root: mixed(body('Fake.'), attachment('fake-eicar.txt', 'text/plain', file(FAKE_PATTERN))) },
    { name: 'eicar_fake_pattern_in_zip', notes: 'The fake pattern inside a zip: never replaced.', categories: ['fake-pattern', 'archive', 'zip'], root: mixed(body('Fake in zip.'), attachment('fake.zip', 'application/zip', zipOf([{ name: 'fake.txt', payload: file(FAKE_PATTERN) }]))) },
    { name: 'encrypted_zip_clean', notes: 'A zip whose member carries the "encrypted" flag: clamd with AlertEncrypted reports Heuristics.Encrypted.Zip.', categories: ['archive', 'zip', 'encrypted'], root: mixed(body('Password by phone.'), attachment('notes.zip', 'application/zip', zipOf([{ name: 'notes.txt', payload: file(rng.bytes(200)) }], { encrypted: true }))) },
    {
      name: 'filename_filter_double_extension', notes: 'Clean files under names extension filters catch: a double extension attachment and an .exe behind .pdf in a zip.', categories: ['archive', 'zip', 'filename-filter', 'multi-attachment'],
      root: mixed(body('Documents.'), attachment('statement.pdf.scr', 'application/octet-stream', exe), attachment('documents.zip', 'application/zip', zipOf([{ name: 'invoice.pdf.exe', payload: exe }, { name: 'readme.txt', payload: file('Open the invoice.\n') }]))),
    },
    {
      name: 'filename_filter_zip_in_gz', notes: 'gz > zip > txt: two archive levels (deeper than an archive depth limit of 1), all clean.', categories: ['archive', 'gzip', 'zip', 'nested-archive', 'filename-filter'],
      root: mixed(body('Packed twice.'), attachment('f.zip.gz', 'application/gzip', gzOf('f.zip', zipOf([{ name: 'f.txt', payload: file('nested text\n') }])))),
    },
    {
      name: 'malformed_unterminated_multipart', notes: 'The closing boundary is missing; the attachment before the end is still there.', categories: ['malformed', 'mixed'], malformed: true,
      root: { kind: 'multipart', subtype: 'mixed', unterminated: true, parts: [body('No closing boundary.'), attachment('report.pdf', 'application/pdf', pdf)] },
    },
    {
      name: 'malformed_unterminated_eicar', notes: 'EICAR in the last part of a multipart whose closing boundary is missing.', categories: ['malformed', 'eicar', 'mixed'], malformed: true,
      root: { kind: 'multipart', subtype: 'mixed', unterminated: true, parts: [body('No closing boundary.'), attachment('eicar.com', 'application/octet-stream', eicar)] },
    },
    {
      name: 'malformed_no_header_separator', notes: 'Headers and no blank line before what would be the body: the whole message is headers.', categories: ['malformed', 'headers-only'], malformed: true,
      root: body(''),
      render: (h) => Buffer.from(`${[...h, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'X-Note: there is no body separator'].join('\r\n')}\r\n`, 'utf8'),
    },
  ];
  if (clamTest?.body) {
    list.push({
      name: 'test_signature_file', notes: "A file that starts with the body of the test database's ClamAV-Test-File signature (built from the signature, not ClamAV's file).", categories: ['mixed', 'pe'],
      root: mixed(body('Test file.'), attachment('clam.exe', 'application/x-msdownload', file(Buffer.concat([clamTest.body, rng.bytes(200)])))),
    });
  }
  return list;
}

// --- The expectations: what Rspamd's antivirus module (reference rule) and clamd make of a built message.

/** clamd's verdict for one scanned body: the first signature matching it, an encrypted zip, or the first member that gives one. */
function clamdVerdict(p: Payload, sigs: readonly TestSignature[]): string | null {
  const sig = sigs.find((s) => s.matches(p.data));
  if (sig) return reportedName(sig);
  if (p.encrypted) return 'Heuristics.Encrypted.Zip';
  for (const m of p.members ?? []) {
    const v = clamdVerdict(m.payload, sigs);
    if (v) return v;
  }
  return null;
}

/**
 * The bodies Rspamd 3.4 sends to clamd in part mode with text and images off: attachments, i.e. parts
 * with `Content-Disposition: attachment`, or with a file name when they are neither images nor carry a
 * Content-ID (rspamd src/lua/lua_mimepart.c lua_mimepart_is_attachment); attached messages count as
 * parts too, and their own parts are parts of the message.
 */
function rspamdScannedBodies(node: Node, rendered: (n: Attached) => Buffer): Payload[] {
  if (node.kind === 'multipart') return node.parts.flatMap((p) => rspamdScannedBodies(p, rendered));
  if (node.kind === 'message') return [messagePayload(node, rendered), ...rspamdScannedBodies(node.root, rendered)];
  const m = node.mime;
  const disposition = m.disposition === undefined ? (m.filename !== undefined ? 'attachment' : null) : m.disposition;
  const named = m.filename !== undefined && disposition !== null;
  const selected = disposition === 'attachment' || (named && !m.contentType.startsWith('image/') && !m.contentId);
  return selected && node.payload.data.length > 0 ? [node.payload] : [];
}

function rspamdOutcome(bodies: readonly Payload[], sigs: readonly TestSignature[]): Pick<CorpusEntry, 'rspamd_av' | 'rspamd_action'> {
  const av: Record<string, Set<string>> = {};
  for (const b of bodies) {
    const v = clamdVerdict(b, sigs);
    if (!v) continue;
    const [symbol, option] = v.startsWith('Heuristics.Encrypted.') ? ['CLAM_VIRUS_ENCRYPTED', `File is encrypted: ${v}`] : ['CLAM_VIRUS', v];
    (av[symbol] ??= new Set()).add(option);
  }
  const rspamd_av = Object.fromEntries(Object.entries(av).map(([k, s]) => [k, [...s].sort()]));
  return { rspamd_av, rspamd_action: Object.keys(rspamd_av).length > 0 ? 'reject' : 'no action' };
}

/** mailparser's attachments: every leaf but text/plain and text/html body text; an attached message is one attachment. */
function mailparserAttachments(node: Node): { name: string | null; payload: Payload | null }[] {
  if (node.kind === 'multipart') return node.parts.flatMap(mailparserAttachments);
  if (node.kind === 'message') return [{ name: node.filename ?? null, payload: null }];
  const m = node.mime;
  const bodyText = /^text\/(plain|html)\b/.test(m.contentType) && (m.disposition ?? (m.filename !== undefined ? 'attachment' : null)) !== 'attachment';
  return bodyText ? [] : [{ name: m.filename ?? null, payload: node.payload }];
}

/** Archive member paths as the shared manifest lists them (`a.zip > b.txt`); a gzip'd tar shows the tar's members. */
function memberPaths(p: Payload): string[] {
  if (p.container === 'gzip' && p.members?.[0]?.payload.container === 'tar') return memberPaths(p.members[0].payload);
  if (p.container !== 'zip' && p.container !== 'tar' && p.container !== 'gzip') return [];
  return (p.members ?? []).flatMap((m) => [m.name, ...memberPaths(m.payload).map((s) => `${m.name} > ${s}`)]);
}

/** Every decoded object of the message: leaves, attached messages' leaves and archive members at any depth. */
function decodedObjects(node: Node): Buffer[] {
  const fromPayload = (p: Payload): Buffer[] => [p.data, ...(p.members ?? []).flatMap((m) => fromPayload(m.payload))];
  if (node.kind === 'multipart') return node.parts.flatMap(decodedObjects);
  if (node.kind === 'message') return decodedObjects(node.root);
  return fromPayload(node.payload);
}

/** The shared manifest's `eicar_variant` for the decoded objects (test/corpus/README.md). */
function eicarVariant(objects: readonly Buffer[]): string | null {
  if (objects.some((o) => o.equals(EICAR))) return 'exact';
  const leading = objects.filter((o) => o.subarray(0, EICAR.length).equals(EICAR));
  if (leading.some((o) => o.length <= 128 && /^[\s]*$/.test(o.subarray(EICAR.length).toString('latin1')))) return 'trailing-whitespace';
  if (leading.length > 0) return 'trailing-bytes';
  if (objects.some((o) => o.includes(FAKE_PATTERN))) return 'fake-pattern';
  return null;
}

function encryptedPayload(node: Node): boolean {
  const inPayload = (p: Payload): boolean => p.encrypted === true || (p.members ?? []).some((m) => inPayload(m.payload));
  if (node.kind === 'multipart') return node.parts.some(encryptedPayload);
  if (node.kind === 'message') return encryptedPayload(node.root);
  return inPayload(node.payload);
}

/** One generated message: its manifest entry and its bytes. */
export interface GeneratedMessage {
  readonly entry: CorpusEntry;
  readonly bytes: Buffer;
  /** The bodies Rspamd would send to clamd and the verdict the expectation assumes for each (null = clean). */
  readonly clamdBodies: readonly { readonly data: Buffer; readonly verdict: string | null }[];
}

/** The folder name generated entries carry in `file` (they live in memory; npm run parity writes them to its work folder). */
export const GENERATED_PREFIX = 'avfleet-generated/';

/** Builds the whole generated corpus; the same bytes and entries on every run and machine. */
export function buildGeneratedCorpus(sigs: readonly TestSignature[] = loadTestSignatures()): GeneratedMessage[] {
  const rng = new SeededRandom('avfleet-test-corpus');
  return cases(rng, sigs).map((c) => {
    const h = headers(c.name, c.notes.slice(0, 60));
    const renderedMessages = new Map<Attached, Buffer>();
    const rootMime = toMime(c.root, c.name, renderedMessages);
    const bytes = c.render ? c.render(h) : buildMimeMessage(h, rootMime);
    const att = c.render ? [] : mailparserAttachments(c.root);
    const archives = Object.fromEntries(att.filter((a) => a.name !== null && a.payload && memberPaths(a.payload).length > 0).map((a) => [a.name!, memberPaths(a.payload!)]));
    const objects = c.render ? [] : decodedObjects(c.root);
    const eicar = objects.some((o) => o.includes(EICAR));
    const variant = c.eicarVariant ?? eicarVariant(objects);
    const scanned = c.render ? [] : rspamdScannedBodies(c.root, (n) => {
      const m = renderedMessages.get(n);
      if (!m) throw new Error(`AVF_ERR_TEST_CORPUS_GENERATOR: ${c.name}: an attached message was not rendered`);
      return m;
    });
    const entry: CorpusEntry = {
      file: `${GENERATED_PREFIX}${c.name}.eml`,
      source: 'generator:test/corpus/generated-corpus.ts',
      notes: c.notes,
      parts: att.length,
      attachment_names: att.map((a) => a.name),
      archive_members: Object.keys(archives).length > 0 ? archives : null,
      eicar,
      eicar_variant: eicar || variant ? variant : null,
      eicar_fake: att.some((a) => a.payload?.data.equals(FAKE_PATTERN) ?? false),
      encrypted: c.render ? false : encryptedPayload(c.root),
      macro: false,
      malformed: c.malformed ?? false,
      categories: c.categories,
      size: bytes.length,
      ...rspamdOutcome(scanned, sigs),
    };
    return { entry, bytes, clamdBodies: scanned.map((b) => ({ data: b.data, verdict: clamdVerdict(b, sigs) })) };
  });
}
