/**
 * Bytes of INSTREAM bodies all connections may hold at once. Each stream reserves a chunk's
 * announced length before its bytes are read and gives everything back when its scan is
 * answered or its connection ends, so many large streams at once cannot exhaust memory:
 * a stream that would go over is refused (a temporary ERROR) instead.
 */
export class StreamBudget {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes reserved now. */
  get reserved(): number {
    return this.held;
  }

  /** Reserve `bytes`; false (nothing reserved) when that would go over the budget. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

/** The default budget: 512 MiB, and at least two streams of the largest size. */
export function defaultStreamBudgetBytes(maxStreamBytes: number): number {
  return Math.max(512 * 1024 * 1024, 2 * maxStreamBytes);
}
