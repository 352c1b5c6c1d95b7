import { crc32, deflateSync } from 'node:zlib';
import type { SeededRandom } from './seeded-random';
import { buildZip } from './zip-writer';

/** The kinds of attachment the corpus mixes. */
export type AttachmentKind = 'office' | 'pdf' | 'image' | 'archive' | 'eicar' | 'eicar-zip';

export interface AttachmentFile {
  kind: AttachmentKind;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** The 68-byte EICAR test string, kept reversed so this source file does not look like EICAR. */
const EICAR_REVERSED = '*H+H$!ELIF-TSET-SURIVITNA-DRADNATS-RACIE$}7)CC7)^P(45XZP\\4[PA@%P!O5X';
export const EICAR = Buffer.from([...EICAR_REVERSED].reverse().join(''), 'latin1');

const OFFICE_TYPES = [
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'word'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xl'],
  ['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'ppt'],
] as const;

/** OOXML-like: deflated XML text plus a stored media file that brings it to about `size` bytes. */
function office(rng: SeededRandom, size: number, n: number): AttachmentFile {
  const [ext, contentType, dir] = rng.pick(OFFICE_TYPES);
  const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<doc><body><p>${rng.text(Math.min(size * 2, 400_000))}</p></body></doc>`;
  const head = [
    { name: '[Content_Types].xml', data: Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>') },
    { name: '_rels/.rels', data: Buffer.from('<?xml version="1.0"?><Relationships/>') },
    { name: `${dir}/document.xml`, data: Buffer.from(xml, 'utf8') },
  ];
  const base = buildZip(head);
  const media = Math.max(0, size - base.length - 200);
  const entries = media > 0 ? [...head, { name: `${dir}/media/image1.jpeg`, data: rng.bytes(media), deflate: false }] : head;
  return { kind: 'office', filename: `report-${n}.${ext}`, contentType, data: buildZip(entries) };
}

/** PDF-like: a Flate text stream and a DCT image stream, with a real xref table. */
function pdf(rng: SeededRandom, size: number, n: number): AttachmentFile {
  const text = deflateSync(Buffer.from(`BT /F1 12 Tf 72 712 Td (${rng.text(Math.min(size, 100_000)).replace(/[()\\]/g, '')}) Tj ET`, 'latin1'), { level: 1 });
  const image = rng.bytes(Math.max(1024, size - text.length - 900));
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>'),
    Buffer.concat([Buffer.from(`<< /Length ${text.length} /Filter /FlateDecode >>\nstream\n`), text, Buffer.from('\nendstream')]),
    Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width 640 /Height 480 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${image.length} /Filter /DCTDecode >>\nstream\n`), image, Buffer.from('\nendstream')]),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(obj);
    offset += obj.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return { kind: 'pdf', filename: `scan-${n}.pdf`, contentType: 'application/pdf', data: Buffer.concat(parts) };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** JPEG- or PNG-like: a valid header and incompressible image data. */
function image(rng: SeededRandom, size: number, n: number): AttachmentFile {
  if (rng.chance(0.5)) {
    const head = Buffer.from('ffd8ffe000104a46494600010101004800480000', 'hex');
    return { kind: 'image', filename: `IMG_${1000 + n}.jpg`, contentType: 'image/jpeg', data: Buffer.concat([head, rng.bytes(Math.max(0, size - head.length - 2)), Buffer.from('ffd9', 'hex')]) };
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(800, 0);
  ihdr.writeUInt32BE(600, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const data = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', rng.bytes(Math.max(0, size - 57))), pngChunk('IEND', Buffer.alloc(0))]);
  return { kind: 'image', filename: `screenshot-${n}.png`, contentType: 'image/png', data };
}

/** ZIP with 2–6 members: some deflated text, some stored binaries; optionally EICAR among them. */
function archive(rng: SeededRandom, size: number, n: number, withEicar: boolean): AttachmentFile {
  const members = rng.int(2, 6);
  const entries: Array<{ name: string; data: Buffer; deflate?: boolean }> = [];
  for (let i = 0; i < members; i++) {
    const share = Math.max(512, Math.floor(size / members));
    if (rng.chance(0.4)) entries.push({ name: `notes/part-${i}.txt`, data: Buffer.from(rng.text(share * 2)) });
    else entries.push({ name: `data/blob-${i}.bin`, data: rng.bytes(share), deflate: false });
  }
  if (withEicar) entries.splice(rng.int(0, entries.length), 0, { name: 'tools/setup.com', data: EICAR });
  return { kind: withEicar ? 'eicar-zip' : 'archive', filename: `files-${n}.zip`, contentType: 'application/zip', data: buildZip(entries) };
}

/** One attachment of about `size` bytes (EICAR alone is 68 bytes whatever `size` says). */
export function makeAttachment(rng: SeededRandom, kind: AttachmentKind, size: number, n: number): AttachmentFile {
  switch (kind) {
    case 'office':
      return office(rng, size, n);
    case 'pdf':
      return pdf(rng, size, n);
    case 'image':
      return image(rng, size, n);
    case 'archive':
      return archive(rng, size, n, false);
    case 'eicar-zip':
      return archive(rng, size, n, true);
    case 'eicar':
      return { kind, filename: `update-${n}.com`, contentType: 'application/octet-stream', data: Buffer.from(EICAR) };
  }
}
