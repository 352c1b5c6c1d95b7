/** A one-line progress bar with rate and ETA, redrawn on stderr (only on a terminal). */
export class ProgressBar {
  private readonly started = Date.now();
  private done = 0;
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly write: (text: string) => void,
    private readonly width = 30,
  ) {}

  tick(): void {
    this.done++;
    const now = Date.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? Math.ceil((this.total - this.done) / rate) : 0;
    const filled = Math.round((this.done / this.total) * this.width);
    this.write(`\r[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${this.done}/${this.total} ${rate.toFixed(1)} msg/s ETA ${eta}s `);
  }

  finish(): void {
    this.write('\n');
  }
}
