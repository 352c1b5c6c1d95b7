import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** apps/producer/package.json's version (the same depth above src/ and dist/). */
export function producerVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The VERSION reply in clamd's shape `<product> <version>` (clamd answers `ClamAV 1.4.6`, with
 * `/<db version>/<db date>` only when an official database is loaded): `avfleet 0.1.0`. A client
 * that reads clamd's database version from it (avfleet's own clamav rule: parseClamavVersion)
 * finds none, as with a clamd that has only local signatures.
 */
export function versionLine(version: string = producerVersion()): string {
  return `avfleet ${version}`;
}
