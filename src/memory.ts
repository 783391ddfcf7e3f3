// Bounded memory for work over big inputs: a full collection when the process has grown by a headroom since
// the last one. The garbage of a big body's pieces and of a long delivery is mostly strings and buffers outside
// the JS heap, which the collector does not weigh, so without this the resident size grows with the input.

/** Growth of the resident size (bytes) allowed between collections: ~20 collections for a 150 MB body, ~0.2 s in all. */
const HEADROOM = 32 * 1024 * 1024;

export class MemoryGuard {
  private mark = process.memoryUsage.rss();

  constructor(private readonly headroom = HEADROOM) {}

  /** Collects when the resident size grew by the headroom since the last look that collected (cheap otherwise). */
  check() {
    if (process.memoryUsage.rss() < this.mark + this.headroom) return;
    Bun.gc(true);
    this.mark = process.memoryUsage.rss();
  }
}
