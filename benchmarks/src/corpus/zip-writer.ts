import { crc32, deflateRawSync } from 'node:zlib';

/** One member of a generated ZIP archive. */
export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Deflate (true) or store (false); default: deflate. */
  deflate?: boolean;
  /** zlib level when deflating (default 1: fast, for the bench's large corpora). */
  level?: number;
  /** Sets the "encrypted" flag (bit 0) in both headers; the data is stored as given, so only the flag says so. */
  encrypted?: boolean;
}

const DOS_TIME = 0x6000; // 12:00:00
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01, fixed for reproducibility

/** A plain ZIP (no ZIP64, no real encryption) with fixed timestamps: the same input gives the same bytes. */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const deflate = e.deflate !== false;
    const body = deflate ? deflateRawSync(e.data, { level: e.level ?? 1 }) : e.data;
    const crc = crc32(e.data);
    const flags = 0x0800 | (e.encrypted ? 1 : 0); // UTF-8 names (+ encrypted)
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}

/** A gzip stream (RFC 1952) carrying `name` in FNAME, with mtime 0: the same input gives the same bytes. */
export function buildGzip(name: string, data: Buffer): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 255]);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc32(data), 0);
  tail.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([head, Buffer.from(`${name}\0`, 'latin1'), deflateRawSync(data, { level: 6 }), tail]);
}
