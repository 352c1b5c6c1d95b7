import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ScanBody } from '../scanner';
import { fail, type FailVerdict } from '../verdict';
import { CodedError } from '../coded-error';

/** Permissions of every temp file: owner read/write only (the issue demands private files). */
export const TEMP_FILE_MODE = 0o600;
/** Start of the FAIL text when the body cannot be stored (docs/scanners.md "common", D2). */
export const TEMP_FILE_FAIL_PREFIX = 'cannot store temporary file: ';

/** The body could not be written to a temp file (code AVF_ERR_TEMP_FILE; `reason` is the system's text). */
export class TempFileError extends CodedError<'AVF_ERR_TEMP_FILE'> {
  override readonly name = 'TempFileError';
  readonly reason: string;

  constructor(reason: string, options: { cause?: unknown } = {}) {
    super('AVF_ERR_TEMP_FILE', `${TEMP_FILE_FAIL_PREFIX}${reason}`, options);
    this.reason = reason;
  }
}

/** `FAIL("cannot store temporary file: <reason>")` for a TempFileError. */
export function tempFileFail(e: TempFileError): FailVerdict {
  return fail(e.message, 'error');
}

/** `<dir>/<32 random lowercase hex>.<ext>` (docs/scanners.md "Temp files"). */
export function tempFilePath(dir: string, ext: string): string {
  return path.join(dir, `${randomBytes(16).toString('hex')}.${ext}`);
}

/**
 * Writes `body` to a new private file `<dir>/<32 hex>.<ext>` (mode 0600,
 * created exclusively so an existing file or symlink is never followed),
 * runs `fn(path)` and removes the file afterwards, whatever `fn` does.
 * Rejects with TempFileError when the file cannot be created or written
 * (a partial file is removed too); errors from `fn` pass through unchanged.
 */
export async function withTempFile<T>(dir: string, ext: string, body: ScanBody, fn: (filePath: string) => Promise<T>): Promise<T> {
  const filePath = tempFilePath(dir, ext);
  try {
    await writePrivateFile(filePath, body);
  } catch (e) {
    await removeQuietly(filePath);
    if (e instanceof TempFileError) throw e;
    throw new TempFileError(describe(e), { cause: e });
  }
  try {
    return await fn(filePath);
  } finally {
    await removeQuietly(filePath);
  }
}

async function writePrivateFile(filePath: string, body: ScanBody): Promise<void> {
  const handle = await open(filePath, 'wx', TEMP_FILE_MODE);
  let source: Readable | null = null;
  try {
    // `mode` is masked by the umask; make sure the file never ends up wider than 0600.
    await handle.chmod(TEMP_FILE_MODE);
    if (body.buffer) {
      await handle.writeFile(body.buffer);
    } else {
      try {
        source = await body.open();
      } catch (e) {
        throw new TempFileError(`cannot open the body to scan: ${describe(e)}`, { cause: e });
      }
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        await handle.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
    }
  } finally {
    source?.destroy();
    await handle.close();
  }
}

async function removeQuietly(filePath: string): Promise<void> {
  try {
    await unlink(filePath);
  } catch {
    // ENOENT (never created, or already gone): nothing to remove.
  }
}

function describe(e: unknown): string {
  // Not `instanceof Error`: fs errors may come from another realm (test runners).
  return typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);
}
