// Bounded memory for work over big inputs: a full collection when the process has grown by a headroom since
// the last one. The garbage of a big body's pieces and of a long delivery is mostly strings and buffers outside
// the JS heap, which the collector does not weigh, so without this the resident size grows with the input.

/** Growth of the resident size (bytes) allowed between collections: ~20 collections for a 150 MB body, ~0.2 s in all. */
const HEADROOM = 24 * 1024 * 1024;

/** Items handled (samples, records, credits) between looks at the resident size: a small sync never looks. */
const LOOK_EVERY = 10_000;

export class MemoryGuard {
  private mark: number | null = null;
  private work = 0;

  constructor(private readonly headroom = HEADROOM) {}

  /**
   * After `work` more items: collects when the resident size grew by the headroom since the first look or the last
   * look that collected. Reading the resident size costs ~0.3 ms, so it is read only every LOOK_EVERY items.
   */
  check(work: number) {
    this.work += work;
    if (this.work < LOOK_EVERY) return;
    this.work = 0;
    const rss = process.memoryUsage.rss();
    if (this.mark === null || rss < this.mark + this.headroom) {
      this.mark ??= rss;
      return;
    }
    Bun.gc(true);
    this.mark = process.memoryUsage.rss();
  }
}
