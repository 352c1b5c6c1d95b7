import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '../helpers/repo-root';

/** One signature of the test clamd database (test/fixtures/clamd/db). */
export interface TestSignature {
  readonly name: string;
  /** True when the bytes match: `.hdb` = MD5 and size of the whole file, `.ndb` = hex body at offset 0 or anywhere (`*`). */
  matches(data: Buffer): boolean;
  /** `.ndb` only: the bytes the signature looks for. */
  readonly body?: Buffer;
}

/**
 * The signatures clamd loads in the integration tests, read from test/fixtures/clamd/db so the
 * generated corpus's expectations follow the database: `.hdb` lines `md5:size:name`, `.ndb` lines
 * `name:target:offset:hex` (target 0 = any file; offsets `0` and `*` only, which is all the
 * database uses). Anything else is an error rather than a silently ignored signature.
 */
export function loadTestSignatures(dir = fixturePath('clamd', 'db')): TestSignature[] {
  const out: TestSignature[] = [];
  for (const file of readdirSync(dir).sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const line of lines) {
      const f = line.split(':');
      if (file.endsWith('.hdb') && f.length === 3) {
        const [md5, size, name] = f as [string, string, string];
        out.push({ name, matches: (d) => d.length === Number(size) && createHash('md5').update(d).digest('hex') === md5 });
      } else if (file.endsWith('.ndb') && f.length === 4 && f[1] === '0' && (f[2] === '0' || f[2] === '*') && /^[0-9a-f]+$/i.test(f[3]!)) {
        const [name, , offset, hex] = f as [string, string, string, string];
        const body = Buffer.from(hex, 'hex');
        out.push({ name, body, matches: (d) => (offset === '0' ? d.subarray(0, body.length).equals(body) : d.includes(body)) });
      } else {
        throw new Error(`AVF_ERR_TEST_SIGNATURE_UNSUPPORTED: ${join(dir, file)}: cannot model "${line}" (test/corpus/test-signatures.ts knows .hdb md5:size:name and .ndb name:0:0|*:hex)`);
      }
    }
  }
  if (out.length === 0) throw new Error(`AVF_ERR_TEST_SIGNATURE_UNSUPPORTED: no signatures in ${dir}`);
  return out;
}

/** The name clamd reports for a signature of a database that is not Cisco's official one. */
export const reportedName = (s: TestSignature): string => `${s.name}.UNOFFICIAL`;
