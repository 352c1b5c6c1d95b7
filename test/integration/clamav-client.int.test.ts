/**
 * ClamavClient against the real clamd of the integration setup
 * (AVFLEET_TEST_CLAMD host:port, AVFLEET_TEST_CLAMD_SOCKET; project signatures,
 * StreamMaxLength 25M, AlertEncrypted yes).
 */
import { Readable } from 'node:stream';
import { ClamavClient, clean, encrypted, fail, virus, type ClamavClientOptions, type ScanBody, type ServerEntry } from '@avfleet/scanners';
import { testServices } from '../helpers/test-services';

const services = testServices();
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
/** notes.zip: one small text file, really encrypted with ZipCrypto ("zip -P"). */
const ENCRYPTED_ZIP = Buffer.from(
  'UEsDBBQAAQAIAABgIVinVXjeHAAAAA4AAAAJAAAAbm90ZXMudHh0M7a+ZLfrHLVTkwUYoDAqsJFX' +
    'ogaLntvasBApa1BLAQIUAxQAAQAIAABgIVinVXjeHAAAAA4AAAAJAAAAAAAAAAAAAACkgQAAAABu' +
    'b3Rlcy50eHRQSwUGAAAAAAEAAQA3AAAAQwAAAAAA',
  'base64',
);
const SIZE_LIMIT_FAIL = fail('unhandled response: INSTREAM size limit exceeded. ERROR', 'limits');

function client(entry: ServerEntry, extra: Partial<ClamavClientOptions> = {}): ClamavClient {
  return new ClamavClient({ servers: { strategy: 'round-robin', explicitStrategy: false, entries: [entry] }, timeoutSec: 20, retransmits: 2, ...extra });
}
const tcp: ServerEntry = { kind: 'tcp', host: services.clamd.host, port: services.clamd.port, priority: 0 };
const unix: ServerEntry = { kind: 'unix', path: services.clamdSocket, priority: 0 };

const bufferBody = (b: Buffer): ScanBody => ({ size: b.length, buffer: b, open: () => Readable.from([b]) });
/** A body that is only available as a stream, delivered in `piece`-byte reads. */
function streamBody(size: number, piece: number, tail?: Buffer): ScanBody {
  const total = size + (tail?.length ?? 0);
  return {
    size: total,
    open: () =>
      Readable.from(
        (function* () {
          const filler = Buffer.alloc(piece, 'lorem ipsum dolor sit amet\n');
          for (let sent = 0; sent < size; sent += piece) yield filler.subarray(0, Math.min(piece, size - sent));
          if (tail) yield tail;
        })(),
      ),
  };
}

describe('ClamavClient against clamd', () => {
  it('finds EICAR over TCP and names it as clamd does for a local database', async () => {
    const attempts: boolean[] = [];
    const v = await client(tcp, { onAttempt: (e) => attempts.push(e.ok) }).scan(bufferBody(EICAR));
    expect(v).toEqual(virus(['Eicar-Test-Signature.UNOFFICIAL']));
    expect(attempts).toEqual([true]);
  });

  it('answers clean for harmless bytes', async () => {
    expect(await client(tcp).scan(bufferBody(Buffer.from('just a harmless line of text\n')))).toEqual(clean());
  });

  it('reports a ZipCrypto-encrypted zip as encrypted', async () => {
    expect(await client(tcp).scan(bufferBody(ENCRYPTED_ZIP))).toEqual(encrypted('File is encrypted: Heuristics.Encrypted.Zip'));
  });

  it('streams a large body in many chunks (EICAR at the very end is still found)', async () => {
    const c = client(tcp, { chunkSize: 64 * 1024 });
    expect(await c.scan(streamBody(8 * 1024 * 1024, 100_000, EICAR))).toEqual(virus(['Eicar-Test-Signature.UNOFFICIAL']));
    expect(await c.scan(streamBody(8 * 1024 * 1024, 100_000))).toEqual(clean());
  });

  it('turns a body over StreamMaxLength (25M) into FAIL, without retrying on another attempt', async () => {
    const attempts: boolean[] = [];
    const c = client(tcp, { onAttempt: (e) => attempts.push(e.ok) });
    const big = Buffer.alloc(26 * 1024 * 1024, 'a');
    expect(await c.scan(bufferBody(big))).toEqual(SIZE_LIMIT_FAIL);
    expect(await c.scan(streamBody(26 * 1024 * 1024, 1024 * 1024))).toEqual(SIZE_LIMIT_FAIL);
    expect(attempts).toEqual([true, true]);
  });

  it('scans over the unix socket', async () => {
    const c = client(unix);
    expect(await c.scan(bufferBody(EICAR))).toEqual(virus(['Eicar-Test-Signature.UNOFFICIAL']));
    expect(await c.scan(bufferBody(Buffer.from('clean')))).toEqual(clean());
  });

  it('reads VERSION: no /dbver/ part with the project-made database, so the signature version is null', async () => {
    await expect(client(tcp).signatureVersion()).resolves.toBeNull();
    await expect(client(unix).signatureVersion()).resolves.toBeNull();
  });
});
