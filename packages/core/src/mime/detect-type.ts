import { readZipEntries } from './zip-entries';

/** A file type found by content sniffing. */
export interface DetectedType {
  /** Extension without a dot, lower case (`pdf`, `exe`, `zip`, `txt`). */
  readonly ext: string;
  /** MIME type associated with the extension. */
  readonly mime: string;
}

/** docs/semantics.md §3.2: detected extensions not worth scanning by themselves. */
export const AV_CHECK_FALSE_EXTENSIONS: ReadonlySet<string> = new Set([
  'png', 'gif', 'jpg', 'bmp', 'heic', 'webp', 'svg', 'psd', 'pcx', 'pic', 'tiff', 'ico',
  'txt', 'html', 'csv', 'ics', 'vcf',
  'eml',
]);

/** Extensions whose bytes are an image Rspamd's image code understands (png, jpeg, gif, bmp). */
export const DECODABLE_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['png', 'jpg', 'gif', 'bmp']);

const MIME_BY_EXT: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', exe: 'application/x-msdownload', dll: 'application/x-msdownload',
  elf: 'application/x-elf', zip: 'application/zip', jar: 'application/java-archive',
  apk: 'application/vnd.android.package-archive',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  rar: 'application/x-rar-compressed', '7z': 'application/x-7z-compressed', gz: 'application/gzip',
  bz2: 'application/x-bzip2', xz: 'application/x-xz', cab: 'application/vnd.ms-cab-compressed',
  chm: 'application/vnd.ms-htmlhelp', doc: 'application/msword', xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint', msi: 'application/x-msi', msg: 'application/vnd.ms-outlook',
  rtf: 'application/rtf', png: 'image/png', gif: 'image/gif', jpg: 'image/jpeg', bmp: 'image/bmp',
  tiff: 'image/tiff', ico: 'image/x-icon', psd: 'image/vnd.adobe.photoshop', webp: 'image/webp',
  heic: 'image/heic', svg: 'image/svg+xml', html: 'text/html', txt: 'text/plain', ics: 'text/calendar',
  vcf: 'text/vcard', eml: 'message/rfc822', tnef: 'application/ms-tnef', tar: 'application/x-tar',
  iso: 'application/x-iso9660-image', cpio: 'application/x-cpio', class: 'application/java-vm',
  ps: 'application/postscript', swf: 'application/x-shockwave-flash', lnk: 'application/x-ms-shortcut',
};

function typeOf(ext: string): DetectedType {
  return { ext, mime: MIME_BY_EXT[ext] ?? 'application/octet-stream' };
}

/** Whether `buf` holds `sig` at `at` (a string's characters are latin1 bytes); compared in place, nothing allocated. */
function startsWith(buf: Buffer, sig: string | readonly number[], at = 0): boolean {
  const n = sig.length;
  if (buf.length < at + n) return false;
  if (typeof sig === 'string') {
    for (let i = 0; i < n; i++) if (buf[at + i] !== (sig.charCodeAt(i) & 0xff)) return false;
  } else {
    for (let i = 0; i < n; i++) if (buf[at + i] !== (sig[i]! & 0xff)) return false;
  }
  return true;
}

/** PE (exe) or PE with the DLL flag (dll); a bare `MZ` header without a PE image still counts as exe. */
function peKind(buf: Buffer): string {
  if (buf.length < 0x40) return 'exe';
  const peOffset = buf.readUInt32LE(0x3c);
  if (peOffset + 24 > buf.length || !startsWith(buf, 'PE\0\0', peOffset)) return 'exe';
  return (buf.readUInt16LE(peOffset + 22) & 0x2000) !== 0 ? 'dll' : 'exe';
}

function zipKind(buf: Buffer): string {
  if (startsWith(buf, 'mimetypeapplication/vnd.oasis.opendocument.', 30)) {
    const sub = buf.subarray(73, 90).toString('latin1');
    if (sub.startsWith('text')) return 'odt';
    if (sub.startsWith('spreadsheet')) return 'ods';
    if (sub.startsWith('presentation')) return 'odp';
  }
  const names = readZipEntries(buf, 2000).map((e) => e.name);
  const has = (prefix: string): boolean => names.some((n) => n.startsWith(prefix));
  if (names.includes('[Content_Types].xml')) {
    if (has('word/')) return 'docx';
    if (has('xl/')) return 'xlsx';
    if (has('ppt/')) return 'pptx';
  }
  if (names.includes('AndroidManifest.xml') && names.includes('classes.dex')) return 'apk';
  if (names.includes('META-INF/MANIFEST.MF') && names.some((n) => n.endsWith('.class'))) return 'jar';
  return 'zip';
}

/** OLE2 compound file: the stream names (UTF-16LE, in directory sectors) tell the application. */
function oleKind(buf: Buffer): string {
  const hay = buf.length > 8 * 1024 * 1024 ? buf.subarray(0, 8 * 1024 * 1024) : buf;
  const has = (name: string): boolean => hay.includes(Buffer.from(name, 'utf16le'));
  if (has('__substg1.0_')) return 'msg';
  if (has('WordDocument')) return 'doc';
  if (has('Workbook') || has('Book\0')) return 'xls';
  if (has('PowerPoint Document')) return 'ppt';
  if (has('\u4840\u3F3F\u4177\u45EC\u41E4\u4832')) return 'msi';
  return 'doc';
}

function isTarHeader(buf: Buffer): boolean {
  if (buf.length < 512) return false;
  if (startsWith(buf, 'ustar', 257)) return true;
  const stored = parseInt(buf.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/g, '').trim(), 8);
  if (!Number.isFinite(stored) || buf[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : buf[i];
  return sum === stored;
}

const EML_HEADERS = /^(received|from|to|subject|date|message-id|mime-version|return-path|delivered-to|content-type|reply-to|x-[a-z0-9-]+):/gim;

function textKind(buf: Buffer): DetectedType | null {
  const sample = buf.subarray(0, 4096);
  const utf16 = startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff]);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i]!;
    if (b === 0 && !utf16) return null;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
  }
  if (control * 50 > sample.length) return null;
  const head = sample.toString(utf16 ? 'utf16le' : 'latin1').replace(/^\ufeff|^\u00ef\u00bb\u00bf/, '');
  const trimmed = head.trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body)[\s>]/.test(trimmed) || /<html[\s>]/.test(trimmed.slice(0, 1024))) return typeOf('html');
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s>]/.test(trimmed)) return typeOf('svg');
  if (trimmed.startsWith('begin:vcalendar')) return typeOf('ics');
  if (trimmed.startsWith('begin:vcard')) return typeOf('vcf');
  if (/^[A-Za-z][A-Za-z0-9-]*:/.test(head) && (head.match(EML_HEADERS)?.length ?? 0) >= 3) return typeOf('eml');
  return typeOf('txt');
}

/**
 * Sniff the file type from magic bytes. Returns null for empty or
 * unrecognised binary content. Pure and bounded (looks at the first bytes,
 * the zip directory, and OLE2 stream names).
 */
export function detectType(buf: Buffer): DetectedType | null {
  if (buf.length === 0) return null;
  if (buf.subarray(0, 1024).includes('%PDF-')) return typeOf('pdf');
  if (startsWith(buf, 'MZ')) return typeOf(peKind(buf));
  if (startsWith(buf, '\x7fELF')) return typeOf('elf');
  if (startsWith(buf, 'PK\x03\x04') || startsWith(buf, 'PK\x05\x06') || startsWith(buf, 'PK\x07\x08')) return typeOf(zipKind(buf));
  if (startsWith(buf, 'Rar!\x1a\x07')) return typeOf('rar');
  if (startsWith(buf, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return typeOf('7z');
  if (startsWith(buf, [0x1f, 0x8b])) return typeOf('gz');
  if (startsWith(buf, 'BZh') && buf.length > 3 && buf[3] >= 0x31 && buf[3] <= 0x39) return typeOf('bz2');
  if (startsWith(buf, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return typeOf('xz');
  if (startsWith(buf, 'MSCF\0\0\0\0')) return typeOf('cab');
  if (startsWith(buf, 'ITSF')) return typeOf('chm');
  if (startsWith(buf, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return typeOf(oleKind(buf));
  if (startsWith(buf, '{\\rt')) return typeOf('rtf');
  if (startsWith(buf, [0x78, 0x9f, 0x3e, 0x22])) return typeOf('tnef');
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return typeOf('png');
  if (startsWith(buf, 'GIF87a') || startsWith(buf, 'GIF89a')) return typeOf('gif');
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return typeOf('jpg');
  if (startsWith(buf, 'BM') && buf.length >= 18 && buf.readUInt32LE(6) === 0 && [12, 40, 52, 56, 64, 108, 124].includes(buf.readUInt32LE(14))) {
    return typeOf('bmp');
  }
  if (startsWith(buf, 'II*\0') || startsWith(buf, 'MM\0*')) return typeOf('tiff');
  if (startsWith(buf, [0, 0, 1, 0]) && buf.length >= 22 && buf.readUInt16LE(4) > 0 && buf[9] === 0) return typeOf('ico');
  if (startsWith(buf, '8BPS')) return typeOf('psd');
  if (startsWith(buf, 'RIFF') && startsWith(buf, 'WEBP', 8)) return typeOf('webp');
  if (startsWith(buf, 'ftyp', 4) && /^(heic|heix|mif1|msf1)/.test(buf.subarray(8, 12).toString('latin1'))) return typeOf('heic');
  if (startsWith(buf, [0xca, 0xfe, 0xba, 0xbe])) return typeOf('class');
  if (startsWith(buf, 'FWS') || startsWith(buf, 'CWS') || startsWith(buf, 'ZWS')) return typeOf('swf');
  if (startsWith(buf, [0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0])) return typeOf('lnk');
  if (startsWith(buf, '070707') || startsWith(buf, '070701') || startsWith(buf, '070702') || startsWith(buf, [0xc7, 0x71]) || startsWith(buf, [0x71, 0xc7])) {
    return typeOf('cpio');
  }
  if (isTarHeader(buf)) return typeOf('tar');
  if (startsWith(buf, 'CD001', 0x8001)) return typeOf('iso');
  if (startsWith(buf, '%!PS')) return typeOf('ps');
  return textKind(buf);
}

/** MIME type for a detected extension (application/octet-stream when unknown). */
export function mimeTypeForExtension(ext: string): string {
  return typeOf(ext).mime;
}
