import { createHash } from 'node:crypto';

/**
 * A part's decoded bytes, given now or decoded when first read, and their SHA-256,
 * known in advance or computed once when first read. Every rule that selects the
 * part shares the one digest.
 */
export class PartBytes {
  private bytes: Buffer | null;
  private readonly load: (() => Buffer) | null;
  private digest: string | null;

  constructor(content: Buffer | (() => Buffer), sha256: string | null) {
    if (Buffer.isBuffer(content)) {
      this.bytes = content;
      this.load = null;
    } else {
      this.bytes = null;
      this.load = content;
    }
    this.digest = sha256;
  }

  get content(): Buffer {
    if (this.bytes === null) this.bytes = (this.load as () => Buffer)();
    return this.bytes;
  }

  get sha256(): string {
    if (this.digest === null) this.digest = createHash('sha256').update(this.content).digest('hex');
    return this.digest;
  }
}
