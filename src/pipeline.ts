// The hub, one request at a time: a body normalized (piece by piece when big) and merged into the ledger (merged
// timeline, zone credits, records) and appended to the raw log (fsynced) in one ledger transaction, before any 2xx;
// then delivered to the store, with retries. Replay: raw log → normalize → ledger → store.
import type { Ledger, ZoneBounds } from "./ledger/ledger";
import type { RecordsUpdate } from "./ledger/records";
import { normalizePayload } from "./normalize/index";
import type { HeartRateSample, Normalized } from "./normalize/model";
import { isRawEntry, RAW_ENTRY_NEEDS, readRawLines, type RawLine, type RawLog, type Spool } from "./raw/rawlog";
import { FileSource, normalizedPieces, rawEntryFields, type ByteSource } from "./normalize/stream";
import type { Store } from "./store/store";
import { emptyZoneSeconds, sampleProblem, ZONES, zoneBoundsBpm, type ZoneProfile, type ZoneSeconds } from "./transform/zones";
import type { Logger } from "./log";
import { HttpError } from "./errors";
import { MemoryGuard } from "./memory";
import { acquireDeliveryLock, lockPathFor } from "./delivery-lock";
import type { Metrics } from "./metrics/fitstack";

export interface HookResult {
  id: string;
  shape: Normalized["shape"];
  accepted_samples: number;
  duplicates_dropped: number;
  invalid_dropped: number;
  invalid_reasons: Record<string, number>;
  zone_seconds_added: ZoneSeconds;
  /** Gauge points, nights and workouts in the payload, how many were new or changed, and gauge points
   * dropped because the person already has the most metrics (or units of one metric) we keep. */
  records: { gauges: number; nights: number; workouts: number; changed: number; dropped: number };
  ignored: Record<string, number>;
  delivered: boolean;
}

export interface RawReadReport {
  files: number;
  entries: number;
  samples: number;
  skipped: { at: string; error: string }[];
}

export interface PipelineDeps {
  ledger: Ledger;
  store: Store;
  rawLog: RawLog;
  profileFor: (user: string) => ZoneProfile;
  /** Bounds per instant when a person's zones changed over time (ZONES_FROM); absent = profileFor's. */
  boundsFor?: (user: string) => ZoneBounds;
  clock: () => Date;
  log: Logger;
  /** Delivery and raw-log counters for /metrics; absent in replay and tests. */
  metrics?: Metrics;
}

/** Ledger meta key: when deliveries started failing with a backlog (unix s), so its age survives a restart. */
export const FAILING_SINCE = "delivery_failing_since";

const RETRY_MIN_MS = 1000;
/** Quiet this long after the last job, the pipeline checkpoints (serial). */
const IDLE_MS = 1000;
/** A rewrite is handed to the store in slices of this many timeline instants (bounded memory for backfills). */
const CREDITS_PER_DELIVERY = 50_000;
const RETRY_MAX_MS = 60_000;
/** Deliveries ask the store whether it restarted at most this often (a VM /metrics read). */
const RECHECK_MIN_MS = 2_000;

/**
 * Rewrites each user's store series from the earliest instant the ledger changed since the last delivery. Returns
 * true when the store had lost deliveries the ledger holds as done (see `Store.deliveredSeq`), or is another
 * store than the one delivered to before: then everything was delivered again.
 */
export async function deliverPending(ledger: Ledger, store: Store, sliceSize = CREDITS_PER_DELIVERY, memory = new MemoryGuard()): Promise<boolean> {
  // an import running beside `serve` holds this until its one final delivery: the backlog waits for it
  using _lock = acquireDeliveryLock(lockPathFor(ledger.db.filename), "deliver");
  const held = store.deliveredSeq?.();
  const lost = held !== undefined && held < ledger.deliverySeq();
  if (lost) ledger.db.transaction(() => ledger.markAllPending())();
  // numbers only grow on both sides, whichever of the two lost its last commits
  const nextSeq = () => Math.max(ledger.deliverySeq(), store.deliveredSeq?.() ?? 0) + 1;
  const zonesSince = new Map(ledger.pending().map(({ user, since }) => [user, since]));
  const withRecords = new Set(ledger.records.pendingUsers());
  for (const user of [...new Set([...zonesSince.keys(), ...withRecords])].sort()) {
    const since = zonesSince.get(user);
    if (since !== undefined) {
      for (const rewrite of ledger.zoneRewrites(user, since, sliceSize)) {
        await store.writeZones(rewrite, () => ledger.zoneRewrites(user, ledger.firstTs(user) ?? since, sliceSize));
        memory.check(rewrite.credits.length);
      }
    }
    let update: RecordsUpdate | null = null;
    if (withRecords.has(user)) {
      // a family of 100 k workouts is read a few thousand rows at a time, with turns of the event loop between
      const steps = ledger.records.updateSteps(user);
      let step = steps.next();
      for (; !step.done; step = steps.next()) await nextTurn();
      update = step.value;
      await store.writeRecords(update);
    }
    // one finish for both: VM's training series are rebuilt once, from the zones and the gauges just written
    const seq = nextSeq();
    await store.finishDelivery?.(user, ledger.firstTs(user), seq);
    ledger.db.transaction(() => {
      if (since !== undefined) ledger.delivered(user, since);
      if (update) ledger.records.delivered(update);
      ledger.setDeliverySeq(seq);
    })();
  }
  return lost;
}

/** Heart-rate samples gathered from a body's pieces before they are merged into the ledger. */
const SAMPLES_PER_INGEST = 20_000;
/** Work on one body between turns of the event loop (so /ping and small syncs are answered meanwhile). */
const TURN_MS = 50;

/** A body's merge, summed over its pieces. */
interface Tally {
  shape?: Normalized["shape"];
  /** Heart-rate samples in the body, valid or not. */
  samples: number;
  accepted: number;
  duplicates: number;
  invalid: Record<string, number>;
  zoneSeconds: ZoneSeconds;
  gauges: number;
  nights: number;
  workouts: number;
  changed: number;
  dropped: number;
  ignored: Record<string, number>;
}

const newTally = (): Tally => ({
  samples: 0,
  accepted: 0,
  duplicates: 0,
  invalid: {},
  zoneSeconds: emptyZoneSeconds(),
  gauges: 0,
  nights: 0,
  workouts: 0,
  changed: 0,
  dropped: 0,
  ignored: {},
});

function result(tally: Tally): Omit<HookResult, "id" | "delivered"> {
  return {
    shape: tally.shape ?? "hae",
    accepted_samples: tally.accepted,
    duplicates_dropped: tally.duplicates,
    invalid_dropped: Object.values(tally.invalid).reduce((sum, count) => sum + count, 0),
    invalid_reasons: tally.invalid,
    zone_seconds_added: tally.zoneSeconds,
    records: { gauges: tally.gauges, nights: tally.nights, workouts: tally.workouts, changed: tally.changed, dropped: tally.dropped },
    ignored: tally.ignored,
  };
}

/** counts[name] += n; defineProperty keeps a body's "__proto__" a plain counter. */
function addCount(counts: Record<string, number>, name: string, n: number) {
  Object.defineProperty(counts, name, { value: (Object.hasOwn(counts, name) ? counts[name]! : 0) + n, enumerable: true, writable: true, configurable: true });
}

/** Records merged per transaction between turns of the event loop (a night counts its segments): ~10 ms idle. */
const RECORDS_PER_CHUNK = 500;

type RecordChunk = Pick<Normalized, "gauges" | "sleep" | "workouts">;

function recordChunks(gauges: Normalized["gauges"], sleep: Normalized["sleep"], workouts: Normalized["workouts"]): RecordChunk[] {
  const chunks: RecordChunk[] = [];
  for (let i = 0; i < gauges.length; i += RECORDS_PER_CHUNK) chunks.push({ gauges: gauges.slice(i, i + RECORDS_PER_CHUNK), sleep: [], workouts: [] });
  let nights: Normalized["sleep"] = [];
  let cost = 0;
  for (const night of sleep) {
    nights.push(night);
    cost += night.segments?.length ?? 1;
    if (cost >= RECORDS_PER_CHUNK) {
      chunks.push({ gauges: [], sleep: nights, workouts: [] });
      nights = [];
      cost = 0;
    }
  }
  if (nights.length) chunks.push({ gauges: [], sleep: nights, workouts: [] });
  for (let i = 0; i < workouts.length; i += RECORDS_PER_CHUNK) chunks.push({ gauges: [], sleep: [], workouts: workouts.slice(i, i + RECORDS_PER_CHUNK) });
  return chunks;
}

/** Lets timers and pending requests run before the next chunk of work. */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class Pipeline {
  private tail: Promise<unknown> = Promise.resolve();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRecheck = 0;
  private retryDelay = RETRY_MIN_MS;
  private stopped = false;
  /** Set when a delivery failed, until one succeeds: meanwhile requests only append and merge. */
  private storeDown = false;

  constructor(private readonly deps: PipelineDeps) {
    // a failure counter that exists at 0 lets increase() see its first failure
    deps.metrics?.deliveryFailures.inc({ store: deps.store.kind }, 0);
  }

  /** A spool file for a body too big to hold in memory (the hook's receiveBody). */
  spool(): Spool {
    return this.deps.rawLog.spool();
  }

  /** The user's zone bounds as the hook credits them (dated profiles included); import credits with the same. */
  boundsOf(user: string): ZoneBounds {
    return this.deps.boundsFor?.(user) ?? zoneBoundsBpm(this.deps.profileFor(user));
  }

  /**
   * Runs jobs one after another: raw appends, ledger merges and store writes never interleave. After the last
   * one, once nothing came for IDLE_MS, the ledger's and the store's write-ahead logs are copied into their files
   * (src/wal.ts): no sync waits for that.
   */
  private serial<T>(job: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => {});
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.tail = this.tail.then(() => this.checkpoint());
    }, IDLE_MS);
    this.idleTimer.unref?.();
    return run;
  }

  private checkpoint() {
    if (this.stopped) return;
    try {
      this.deps.ledger.checkpoint();
      this.deps.store.checkpoint?.();
    } catch (err) {
      this.deps.log.warn("checkpoint failed; SQLite does it at a later commit", { error: (err as Error).message });
    }
  }

  /**
   * Accepts a body: merged into the ledger (a big one a piece at a time, with turns of the event loop in
   * between) and appended to the raw log (fsynced) in one ledger transaction, then delivered. `body` is the
   * normalized body, or a function giving its pieces (normalize/stream.ts) that may throw a 4xx for bad input:
   * then nothing was merged nor logged.
   */
  accept(
    bodyBytes: Uint8Array | ByteSource,
    body: Normalized | (() => Iterable<Normalized | null>),
    user: string,
    headers: Record<string, string> = {},
  ): Promise<HookResult> {
    return this.serial(async () => {
      const receivedAt = this.deps.clock();
      const id = crypto.randomUUID();
      const { ledger, rawLog, metrics } = this.deps;
      const merged = newTally();
      try {
        await ledger.atomically(async () => {
          // a body in memory is merged without turns of the event loop, as before streaming: Bun drops the answer
          // to a client that half-closed its connection (sent FIN after the body) once the loop turns
          await this.merge(typeof body === "function" ? body() : [body], user, receivedAt, merged, typeof body === "function");
          const appendStarted = performance.now();
          const meta = { id, receivedAt, user, headers };
          const position = bodyBytes instanceof Uint8Array ? rawLog.append(bodyBytes, meta) : await rawLog.appendSpooled(bodyBytes, meta);
          metrics?.rawFsync.observe((performance.now() - appendStarted) / 1000);
          ledger.setCursor(position);
          ledger.setMeta(`last_sync:${user}`, String(Math.floor(receivedAt.getTime() / 1000)));
        });
      } catch (err) {
        if (err instanceof HttpError && err.status < 500) throw err;
        // not on disk, or on disk but not merged: refuse, so HAE sends it again (merging is idempotent)
        this.deps.log.error("payload not stored", { error: (err as Error).message });
        throw new HttpError(503, "storage_unavailable", "cannot store the payload right now; retry later");
      }
      // while the store is known down the retrier owns delivery: a request would only rebuild the rewrite and fail
      const delivered = this.storeDown ? (this.scheduleRetry(), false) : await this.deliverNow();
      return { id, ...result(merged), delivered };
    });
  }

  /** Merges a body's pieces into the tally; the caller holds the transaction (and moves the raw cursor). */
  private async merge(pieces: Iterable<Normalized | null>, user: string, receivedAt: Date, tally: Tally, turns = true) {
    const now = Math.floor(receivedAt.getTime() / 1000);
    const bounds = this.boundsOf(user);
    let samples: HeartRateSample[] = [];
    const ingest = () => {
      if (!samples.length) return;
      const result = this.deps.ledger.ingest(user, samples, bounds);
      tally.accepted += result.accepted;
      tally.duplicates += result.duplicates;
      for (const zone of ZONES) tally.zoneSeconds[zone] += result.zoneSecondsAdded[zone];
      samples = [];
    };
    let turn = performance.now();
    const memory = new MemoryGuard();
    for (const piece of pieces) {
      if (piece === null) {
        // the body is still being planned: only a turn of the event loop when one is due
        if (turns && performance.now() - turn > TURN_MS) {
          await nextTurn();
          turn = performance.now();
        }
        continue;
      }
      tally.shape ??= piece.shape;
      tally.samples += piece.heartRate.length;
      for (const sample of piece.heartRate) {
        const problem = sampleProblem(sample, now);
        if (problem) tally.invalid[problem] = (tally.invalid[problem] ?? 0) + 1;
        else samples.push(sample);
      }
      // records and fields normalize dropped for an implausible number (normalize/bounds.ts)
      for (const [reason, count] of Object.entries(piece.invalid ?? {})) tally.invalid[reason] = (tally.invalid[reason] ?? 0) + count;
      for (const [name, count] of Object.entries(piece.ignored)) addCount(tally.ignored, name, count);
      tally.gauges += piece.gauges.length;
      tally.nights += piece.sleep.length;
      tally.workouts += piece.workouts.length;
      const records = await this.mergeRecords(user, piece);
      tally.changed += records.changed;
      tally.dropped += records.dropped;
      if (samples.length >= SAMPLES_PER_INGEST) ingest();
      memory.check(piece.heartRate.length + piece.gauges.length + piece.sleep.length + piece.workouts.length);
      if (turns && performance.now() - turn > TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
    }
    ingest();
  }

  /**
   * Merges a payload's gauges, nights and workouts a chunk at a time, one transaction each, giving the event
   * loop a turn in between: merging is linear and idempotent, so a 100 k-workout body never stalls /ping.
   */
  private async mergeRecords(user: string, body: Normalized): Promise<{ changed: number; dropped: number }> {
    const { ledger } = this.deps;
    const total = { changed: 0, dropped: 0 };
    const chunks = recordChunks(body.gauges, body.sleep, body.workouts);
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await nextTurn();
      const merged = ledger.db.transaction(() => ledger.records.merge(user, chunk.gauges, chunk.sleep, chunk.workouts))();
      total.changed += merged.changed;
      total.dropped += merged.dropped;
    }
    return total;
  }

  /** Brings the store up to the ledger; on failure the backlog stays and the retrier takes over. */
  private async deliverNow(recheck = true): Promise<boolean> {
    const { ledger, store, log, metrics } = this.deps;
    metrics?.deliveryAttempts.inc({ store: store.kind });
    try {
      if (await deliverPending(ledger, store)) {
        log.warn("the store had lost deliveries (a power cut, or another store than before): delivered everything again", { store: store.kind });
      }
      this.noteFailing(false);
      this.retryDelay = RETRY_MIN_MS;
      this.storeDown = false;
      // a store that restarted since the last look may have dropped what it acknowledged just before
      if (recheck && Date.now() - this.lastRecheck > RECHECK_MIN_MS) await this.recheckNow();
      return true;
    } catch (err) {
      metrics?.deliveryFailures.inc({ store: store.kind });
      this.noteFailing(true);
      log.warn("delivery failed; kept in backlog", { error: (err as Error).message, backlog: ledger.backlog() });
      this.storeDown = true;
      this.scheduleRetry();
      return false;
    }
  }

  /** Keeps when deliveries started failing (for the backlog's age); a full disk must not turn a kept post into a 5xx. */
  private noteFailing(failing: boolean) {
    const { ledger, clock, log } = this.deps;
    try {
      const held = ledger.getMeta(FAILING_SINCE);
      if (failing && !held) ledger.setMeta(FAILING_SINCE, String(Math.floor(clock().getTime() / 1000)));
      if (!failing && held) ledger.setMeta(FAILING_SINCE, "");
    } catch (err) {
      log.warn("cannot note the delivery state in the ledger", { error: (err as Error).message });
    }
  }

  deliver(): Promise<boolean> {
    return this.serial(() => this.deliverNow());
  }

  private scheduleRetry() {
    if (this.retryTimer || this.stopped) return;
    // exponential backoff with full jitter, capped
    const delay = Math.round(this.retryDelay / 2 + Math.random() * (this.retryDelay / 2));
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.deliver();
    }, delay);
  }

  /**
   * Re-reads raw entries past the ledger's cursor: whatever was fsynced but not merged when the process
   * died. Returns how many entries it merged.
   */
  recover(): Promise<RawReadReport> {
    return this.serial(async () => {
      const report = await this.mergeRaw(this.deps.rawLog.files(), true);
      if (report.entries) this.deps.log.info("merged raw entries that were not merged before the last stop", { entries: report.entries });
      await this.deliverNow();
      return report;
    });
  }

  /** Re-reads whole raw files (replay). Merging is idempotent, so re-reading held entries adds nothing. */
  replay(files: string[], onProgress?: (report: RawReadReport, file: string) => void): Promise<RawReadReport & { delivered: boolean }> {
    return this.serial(async () => {
      const report = await this.mergeRaw(files, false, onProgress);
      return { ...report, delivered: await this.deliverNow() };
    });
  }

  private async mergeRaw(files: string[], fromCursor: boolean, onProgress?: (report: RawReadReport, file: string) => void) {
    const { rawLog, ledger, log } = this.deps;
    const report: RawReadReport = { files: 0, entries: 0, samples: 0, skipped: [] };
    for (const file of files) {
      const lineStart = fromCursor ? ledger.cursor(file) : 0;
      for await (const line of readRawLines(rawLog.dir, file, lineStart)) {
        const at = `${file}:${line.line}`;
        if (line.entry || line.big) {
          try {
            const tally = newTally();
            await ledger.atomically(async () => {
              await this.mergeRawLine(line, tally);
              ledger.setCursor(line);
            });
            report.entries++;
            report.samples += tally.samples;
          } catch (err) {
            report.skipped.push({ at, error: (err as Error).message });
            ledger.setCursor(line);
          }
        } else if (fromCursor && line.error?.startsWith("incomplete")) {
          // the entry being written when the process died: it was never acknowledged
        } else {
          report.skipped.push({ at, error: line.error ?? "unreadable" });
          ledger.setCursor(line);
        }
        if (onProgress && (report.entries + report.skipped.length) % 100 === 0) onProgress(report, file);
      }
      report.files++;
      onProgress?.(report, file);
    }
    for (const { at, error } of report.skipped) log.warn("raw line skipped", { at, error });
    return report;
  }

  /** One raw entry merged: held in memory when small, streamed from the file when big (bounded memory). */
  private async mergeRawLine(line: RawLine, tally: Tally) {
    if (line.entry) {
      const { user, receivedAt, body } = line.entry;
      delete line.entry; // the parsed tree is garbage once normalized
      return this.merge([normalizePayload(body)], user, new Date(receivedAt), tally);
    }
    const source = new FileSource(line.big!.path, line.big!.start, line.end - 1);
    try {
      const { fields, body } = rawEntryFields(source);
      const entry = { ...fields, body };
      if (!body || !isRawEntry(entry)) throw new Error(RAW_ENTRY_NEEDS);
      await this.merge(normalizedPieces(body), entry.user, new Date(entry.receivedAt), tally);
    } finally {
      source.close();
    }
  }

  backlog() {
    return this.deps.ledger.backlog();
  }

  /** Asks the store what it may have lost (a VM restart right after a write) and delivers that again. */
  recheckStore(): Promise<number> {
    return this.serial(() => this.recheckNow());
  }

  private async recheckNow(): Promise<number> {
    const { ledger, store, log } = this.deps;
    this.lastRecheck = Date.now();
    const lost = await store.lostWrites();
    if (!lost.length) return 0;
    ledger.db.transaction(() => {
      for (const { user, zonesSince, records } of lost) {
        if (zonesSince !== null) ledger.markPending(user, zonesSince);
        if (records) ledger.records.markUserPending(user);
      }
    })();
    log.warn("the store restarted right after a delivery; delivering it again", { users: lost.map((l) => l.user) });
    await this.deliverNow(false);
    return lost.length;
  }

  /** Checks the store every `everyMs` until stop(). */
  watchStore(everyMs: number) {
    const tick = async () => {
      if (this.stopped) return;
      await this.recheckStore().catch((err) => this.deps.log.warn("store check failed", { error: (err as Error).message }));
      if (!this.stopped) this.watchTimer = setTimeout(tick, everyMs);
    };
    this.watchTimer = setTimeout(tick, everyMs);
  }

  /** When the user's newest payload arrived (unix s), or null. */
  lastSync(user: string): number | null {
    const held = this.deps.ledger.getMeta(`last_sync:${user}`);
    return held === null ? null : Number(held);
  }

  /** The user's first heart-rate instant (where training load curves start), or null. */
  firstTs(user: string): number | null {
    return this.deps.ledger.firstTs(user);
  }

  /** Waits for running work and stops retrying. */
  async stop() {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchTimer) clearTimeout(this.watchTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.retryTimer = null;
    await this.tail;
  }
}
