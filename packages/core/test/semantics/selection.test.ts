import { virus } from '@avfleet/scanners';
import { zip } from '../archive-writers';
import { buildMessage, EICAR, EXE, PDF, PNG, words, type PartSpec } from './build-message';
import { runPipeline } from './run-pipeline';

/**
 * docs/semantics.md §3 — which bodies a rule scans. Each case: rule options, the
 * message's parts, and the parts (by file name or index) sent to the scanner.
 */

const SERVERS = 'servers = "127.0.0.1:3310";';
const conf = (opts: string) => `clamav { ${SERVERS} ${opts} }`;

interface Case {
  readonly name: string;
  readonly opts: string;
  readonly parts: readonly PartSpec[];
  readonly text?: string;
  /** Part indexes scanned (`null` = the whole message). */
  readonly scanned: readonly (string | null)[];
}

const attachments: PartSpec[] = [
  { filename: 'eicar.com', content: EICAR },
  { filename: 'report.pdf', type: 'application/pdf', content: PDF },
];

const cases: Case[] = [
  // §3.2 without filters
  { name: 'default: every attachment, not the message text', opts: '', text: 'hello', parts: attachments, scanned: ['2', '3'] },
  { name: 'default: an inline (non-attachment) part that sniffs as PDF', opts: '', parts: [{ type: 'application/pdf', disposition: 'inline', content: PDF }], scanned: ['1'] },
  { name: 'default: an inline image with Content-ID is not scanned', opts: '', parts: [{ type: 'image/png', filename: 'logo.png', disposition: 'inline', contentId: 'logo@x', content: PNG }], scanned: [] },
  { name: 'default: a file name in Content-Type makes an attachment even inline', opts: '', parts: [{ type: 'text/plain', filename: 'notes.txt', nameInContentType: true, disposition: 'inline', content: 'plain words' }], scanned: ['1'] },
  { name: 'scan_image_mime = true adds image parts', opts: 'scan_image_mime = true;', parts: [{ type: 'image/png', filename: 'logo.png', disposition: 'inline', contentId: 'l@x', content: PNG }], scanned: ['1'] },
  // §3.1 whole-message mode
  { name: 'scan_mime_parts = false: exactly one body, the raw message', opts: 'scan_mime_parts = false;', text: 'hi', parts: attachments, scanned: [null] },
  { name: 'attachments_only = false (deprecated alias) = whole message', opts: 'attachments_only = false;', parts: attachments, scanned: [null] },
  // text parts
  { name: 'scan_text_mime alone does nothing', opts: 'scan_text_mime = true;', text: words(30), parts: [], scanned: [] },
  { name: 'scan_text_mime + text_part_min_words selects long text parts', opts: 'scan_text_mime = true; text_part_min_words = 10;', text: words(30), parts: [], scanned: ['1'] },
  { name: 'scan_text_mime + text_part_min_words: short text is not selected (and the gate stops the rest)', opts: 'scan_text_mime = true; text_part_min_words = 50;', text: words(30), parts: attachments, scanned: [] },
  // §3.3 filters
  { name: 'ext filter: only matching attachments', opts: 'mime_parts_filter_ext { pdf = "pdf"; }', parts: attachments, scanned: ['2'] },
  { name: 'ext filter: second-to-last extension (Invoice.PDF.exe)', opts: 'mime_parts_filter_ext { pdf = "pdf"; }', parts: [{ filename: 'Invoice.PDF.exe', content: EXE }], scanned: ['1'] },
  { name: 'ext filter: values are case-sensitive (PDF never matches)', opts: 'mime_parts_filter_ext { pdf = "PDF"; }', parts: [{ filename: 'a.pdf', content: PDF }], scanned: [] },
  { name: 'ext filter: detected extension of a nameless part', opts: 'mime_parts_filter_ext { exe = "exe"; }', parts: [{ disposition: 'attachment', content: EXE }], scanned: ['1'] },
  { name: 'ext filter: list of maps works like the map form (Rspamd defect fixed)', opts: 'mime_parts_filter_ext = [ { a = "doc"; }, { b = "pdf"; } ];', parts: attachments, scanned: ['2'] },
  { name: 'ext filter: an archive member name matches', opts: 'mime_parts_filter_ext { exe = "exe"; }', parts: [{ filename: 'bundle.zip', content: zip([{ name: 'dir/setup.exe', data: EXE }]) }, ...attachments], scanned: ['1'] },
  { name: 'regex filter: file name', opts: 'mime_parts_filter_regex { r = "^eicar"; }', parts: attachments, scanned: ['1'] },
  { name: 'regex filter: declared type', opts: 'mime_parts_filter_regex { r = "application/pdf"; }', parts: attachments, scanned: ['2'] },
  { name: 'regex filter: archive member name', opts: 'mime_parts_filter_regex { r = "setup\\\\.exe$"; }', parts: [{ filename: 'bundle.zip', content: zip([{ name: 'setup.exe', data: EXE }]) }], scanned: ['1'] },
  { name: 'filters defined but empty: nothing but text/image switches', opts: 'mime_parts_filter_ext = {}; scan_image_mime = true;', parts: [...attachments, { type: 'image/png', filename: 'p.png', disposition: 'inline', contentId: 'p@x', content: PNG }], scanned: ['3'] },
];

describe('semantics §3: part selection through the pipeline', () => {
  it.each(cases)('$name', async (c) => {
    const out = await runPipeline({ conf: conf(c.opts), message: buildMessage(c.parts, c.text === undefined ? {} : { text: c.text }) });
    expect(out.scanned.map((s) => s.partIndex)).toEqual(c.scanned);
  });

  it('whole-message mode sends the raw message bytes; show_attachments adds no name there', async () => {
    const message = buildMessage(attachments);
    const out = await runPipeline({ conf: conf('scan_mime_parts = false; show_attachments = true;'), message, scanner: () => virus(['Eicar-Test-Signature']) });
    expect(out.scanned[0]?.content.equals(message)).toBe(true);
    expect(out.result.symbols['CLAMAV']?.options).toEqual(['Eicar-Test-Signature']);
  });

  it('empty parts are skipped silently', async () => {
    const out = await runPipeline({ conf: conf(''), message: buildMessage([{ filename: 'empty.bin', content: '' }, ...attachments]) });
    expect(out.scanned.map((s) => s.partIndex)).toEqual(['2', '3']);
  });

  it('eicar_fake_pattern (§3.4): a part equal to the pattern is sent as EICAR; other parts unchanged', async () => {
    const out = await runPipeline({
      conf: conf('eicar_fake_pattern = "FAKE-EICAR-MARKER";'),
      message: buildMessage([{ filename: 'marker.txt', content: 'FAKE-EICAR-MARKER' }, { filename: 'other.txt', content: 'FAKE-EICAR-MARKER and more' }]),
    });
    expect(out.scanned.map((s) => s.content.toString('latin1'))).toEqual([EICAR, 'FAKE-EICAR-MARKER and more']);
    expect(out.result.symbols['CLAMAV']?.options).toEqual(['Eicar-Test-Signature']);
  });
});
