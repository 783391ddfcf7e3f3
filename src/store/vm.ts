// VictoriaMetrics store. Zone seconds are a counter per zone, exact under VM's increase():
//  - each zone's counter restarts from 0 at its first instant of every UTC day and after it was absent more than
//    60 s, with a reset point 0 one second before (vm-zones.ts): VM reads a drop to 0 as a reset, and a window's
//    first point without a baseline is 0 or within 60 s of one, so neither VM's lookback nor its first-sample
//    heuristic (#962/#3079) loses anything; a zone has points only at its own instants, plus those reset points;
//  - a late sample therefore changes only its own UTC day (and the next day's first points when its first second
//    follows on directly); later days whose credits did not change are skipped by a digest of what they were drawn from;
//  - VM never overwrites a sample, but with -dedup.minScrapeInterval=1s it keeps the largest timestamp of each second
//    (buckets are (s-1, s]), so a rewrite stamps its points at s*1000 - 999 + generation and the newest generation
//    wins. Each UTC day has its own generation, bumped when a write overwrites it (then at every second any zone may
//    hold a point there, for all five zones); a day that would pass 999 makes the user's series be deleted and
//    rebuilt from the ledger (resumed if interrupted).
// Nights and workouts are cumulative counter families from 1e9 with a point at every instant, rebuilt whole (they
// are few) when they change.
import type { ZoneRewrite } from "../ledger/ledger";
import { SLEEP_STAGES, type RecordsUpdate } from "../ledger/records";
import { ZONES } from "../transform/zones";
import { DAILY_GAUGES, type DayValues, type DeviceReading, type HeartRatePoint, type LocalDay, type LostWrite, type Store, type StoreHealth, type Summary } from "./store";
import { vmDaily } from "./vm-daily";
import { TRAINING_METRICS, VmTraining, type TrainingOptions } from "./vm-training";
import { SLEEP_ITEM_METRICS, SLEEP_METRICS, sleepLines, sleepPoints, WORKOUT_ITEM_METRICS, WORKOUT_METRICS, workoutLines, workoutPoints } from "./vm-families";
import { mergeSorted, prepointsFor, seriesLines, MAX_REVISION } from "./vm-lines";
import { importBodies, VmClient } from "./vm-client";
import { dayOf, VmWriterState, type DayPlan, type HeldDay } from "./vm-state";
import { dayDigest, drawDay, valueAt, type DayEnd, type DrawnDay } from "./vm-zones";
import { DAY_S } from "../ledger/day-block";
import type { Credit } from "../transform/zones";

/** A timeline instant further than this from its predecessor gets a pre-point (VM's lookback is >= 5 min). */
const PREPOINT_GAP_S = 60;
export const REQUIRED_DEDUP = "1s";
/** Zone instants gathered into one post (a post is split into requests by VmClient); a backfill slice is two or
 * more posts, so one is in flight while the next is drawn without a whole slice's lines held twice. */
const POINTS_PER_POST = 25_000;
/** A rewrite this long is a backfill's full slice (pipeline's CREDITS_PER_DELIVERY): its flush is left to the last,
 * and its last post is still in flight while the next slice is read and drawn. */
const BACKFILL_SLICE = 50_000;
/** VM persists in-memory data every -inmemoryDataFlushInterval (5 s); a write it has held this long is on disk. */
const DURABILITY_WINDOW_S = 30;
const ZONE_METRICS = ["zone_seconds_total", "heart_rate_bpm"];
/** How far back deviceReadings looks: a device silent for longer is gone from the answer. */
const DEVICE_LOOKBACK = "30d";
/** Instants of a night or workout family built and posted at once (times label values and metrics: points). */
const FAMILY_INSTANTS_PER_POST = 2_000;

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A digest of a family's content, hashed a slice at a time. */
async function contentHash(content: readonly unknown[]): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for (let i = 0; i < content.length; i += 5_000) {
    hasher.update(JSON.stringify(content.slice(i, i + 5_000)));
    await nextTurn();
  }
  return hasher.digest("hex");
}

export interface VmStoreOptions {
  writeUrl: string;
  readUrl: string;
  /** Directory for the writer's small state file (generations, pre-points, families, recent writes). */
  stateDir: string | ":memory:";
  /** Tests lower this to exercise the rebuild path. */
  maxGeneration?: number;
  timeoutMs?: number;
  /** Writes the daily training_* series (time zone, TRIMP weights, clock); absent = not written. */
  training?: TrainingOptions;
}

export class VmStore implements Store {
  readonly kind = "victoriametrics" as const;
  private readonly state: VmWriterState;
  private readonly maxGeneration: number;
  private readonly vm: VmClient;
  private readonly training: VmTraining | null;
  /** vm_rows_invalid_total{type="vmimport"} at the last look, and VM's start time then (a restart resets it). */
  private invalidSeen: number | null = null;
  private invalidStarted: number | null = null;
  /** A backfill slice's last post while VM ingests it (the next slice is drawn meanwhile); awaited by every write. */
  private posting: InFlight | null = null;

  constructor(private readonly options: VmStoreOptions) {
    this.state = new VmWriterState(options.stateDir);
    this.maxGeneration = options.maxGeneration ?? MAX_REVISION;
    this.vm = new VmClient(options.writeUrl, options.readUrl, options.timeoutMs ?? 60_000);
    this.training = options.training
      ? new VmTraining(options.stateDir, this.vm, (user, days) => this.daily(user, days), options.training, this.maxGeneration)
      : null;
  }

  async writeZones(rewrite: ZoneRewrite, history: () => Iterable<ZoneRewrite>): Promise<void> {
    await this.invalidBaseline();
    const { user, since } = rewrite;
    this.training?.noteChange(user, since);
    if (this.posting?.user !== user) await this.settle();
    const backfill = rewrite.credits.length >= BACKFILL_SLICE;
    const posted = this.state.needsRebuild(user) ? false : await this.postZones(rewrite, backfill);
    if (!posted) {
      await this.rebuildZones(user, history);
      return;
    }
    const written = posted.done.then(async () => {
      // searchable now rather than in a few seconds, so /api/summary and the e-ink screen reflect the sync; a
      // backfill's full slices skip it (VM's force_flush costs ~0.1 s each): its last slice, or finishDelivery, flushes
      if (!backfill) await this.vm.flush();
      this.state.rememberWrite(user, since, false, Date.now() / 1000);
      await this.vm.resetCache();
    });
    if (!backfill) return written;
    // a failed post must not go unobserved: settle() (the next write, finishDelivery) throws it
    written.catch(() => {});
    this.posting = { user, day: posted.day, end: posted.end, done: written };
  }

  /** Waits for a backfill slice's post still in flight (and throws its error). */
  private async settle() {
    const posting = this.posting;
    this.posting = null;
    await posting?.done;
  }

  /** Deletes the user's zone series and writes the whole history again from generation 0. */
  private async rebuildZones(user: string, history: () => Iterable<ZoneRewrite>) {
    await this.settle();
    this.state.startRebuild(user);
    await this.deleteSeries(user, ZONE_METRICS);
    let first: number | null = null;
    for (const slice of history()) {
      first ??= slice.since;
      if (!(await this.postZones(slice, false))) throw new Error(`VictoriaMetrics: a rebuild of ${user}'s zone series ran out of generations`);
    }
    this.state.finishRebuild(user);
    await this.vm.flush();
    this.state.rememberWrite(user, first ?? 0, false, Date.now() / 1000);
    await this.vm.resetCache();
  }

  /**
   * Draws the days a rewrite covers and posts what changed: `since`'s day from `since` on, a later day only when
   * what it is drawn from differs from what was written (so a late sample costs its own day, and the next day's
   * first points when VM's reset reading makes them depend on it). Returns false when a day ran out of generations,
   * else the last post (still in flight when `leaveInFlight`) and the last day drawn with its end.
   */
  private async postZones(rewrite: ZoneRewrite, leaveInFlight: boolean): Promise<Posted | false> {
    const { user, since } = rewrite;
    const credits = rewrite.earlier.length ? [...rewrite.earlier, ...rewrite.credits] : rewrite.credits;
    // the slice before's last post may still be in flight: its state is not recorded yet, but how its last day ended is known
    const carried = this.posting;
    this.posting = null;
    let before: DayEnd | null = null;
    let lastDay: number | null = null;
    // days are gathered into posts of about POINTS_PER_POST, planned in one transaction (the state file syncs
    // each one to disk); one post is in flight while the next is drawn, and the state follows each post
    let batch: DayWrite[] = [];
    let points = 0;
    let inFlight: Promise<void> = carried?.done ?? Promise.resolve();
    const send = async (): Promise<boolean> => {
      const days = batch;
      batch = [];
      points = 0;
      const plans = days.flatMap((d) => d.plans);
      if (!this.state.plan(user, plans, days.flatMap((d) => d.resets.map(([ts]) => ts)), this.maxGeneration)) return false;
      const bodies = importBodies(days.flatMap((d) => this.dayLines(user, d)));
      // only this much of the days is kept while VM ingests them
      const written = days.map((d) => ({ day: d.day, digest: d.digest, end: d.drawn.end }));
      await inFlight;
      inFlight = this.vm.postBodies(bodies).then(() => this.state.daysWritten(user, written));
      // a failed post must not go unobserved until the next one
      inFlight.catch(() => {});
      return true;
    };
    for (let start = 0; start < credits.length; ) {
      const day = dayOf(credits[start]!.ts);
      let end = start;
      while (end < credits.length && dayOf(credits[end]!.ts) === day) end++;
      const dayCredits = credits.slice(start, end);
      if (start === 0) {
        // a day's drawing depends on the day before only when that day is the one just drawn (see drawDay)
        if (carried && carried.day === day - 1) before = carried.end;
        else {
          await inFlight;
          before = this.state.endBefore(user, day);
        }
      }
      start = end;
      lastDay = day;
      const dayBefore = before;
      const digest = dayDigest(dayCredits, dayBefore);
      const held = this.state.day(user, day);
      const drawn = drawDay(dayCredits, dayBefore);
      before = drawn.end;
      // a day whose credits (and start) did not change holds what it would be written with
      if (held?.digest === digest) continue;
      // a day never written is written whole (its credits before `since` included); one that only grew after its
      // last instant (a sync adding to today) from there
      let from = held ? Math.max(since, day * DAY_S) : day * DAY_S;
      if (held?.digest && held.endTs !== null && held.endTs >= from) {
        const upTo = dayCredits.findLastIndex((c) => c.ts <= held.endTs!) + 1;
        if (dayDigest(dayCredits.slice(0, upTo), dayBefore) === held.digest) from = held.endTs + 1;
      }
      batch.push(planDay(day, drawn, digest, dayCredits, from, held));
      points += dayCredits.length;
      if (points >= POINTS_PER_POST && !(await send())) {
        await inFlight;
        return false;
      }
    }
    const sent = batch.length ? await send() : true;
    if (!sent || !leaveInFlight) await inFlight;
    return sent && { done: inFlight, day: lastDay, end: before };
  }

  /**
   * Lines for one day's heart-rate gauge and zone counters from second `from` on (after its plan is recorded). A
   * day not written there before gets only each instant's own zone and the reset points; one written before is
   * overwritten at every second any point may sit (instants, reset points ever written) for all five zones.
   */
  private dayLines(user: string, { day, drawn, instants, resets, from, rewrite }: DayWrite): string[] {
    const dayStart = day * DAY_S;
    const perZone = ZONES.map(() => ({ ts: [] as number[], values: [] as number[] }));
    if (rewrite) {
      // every second from `from` where some series of this day may hold a point
      const seconds = mergeSorted(
        instants.map((c) => c.ts),
        resets.filter(([ts]) => ts >= from).map(([ts]) => ts),
        this.state.resets(user, from, dayStart + DAY_S - 1),
      );
      ZONES.forEach((_, z) => {
        const early = resets.filter(([ts, rz]) => ts < from && rz === z).map(([ts]) => ts);
        perZone[z]!.ts = [...early, ...seconds];
        perZone[z]!.values = [...early.map(() => 0), ...seconds.map((s) => valueAt(drawn, z, s, dayStart))];
      });
    } else {
      const zeros = ZONES.map(() => [] as number[]);
      for (const [ts, z] of resets) zeros[z]!.push(ts);
      ZONES.forEach((_, z) => {
        // the zone's own points from `from` and its reset points, both ascending, merged
        const own = drawn.ts[z]!;
        const values = drawn.values[z]!;
        const zero = zeros[z]!;
        const out = perZone[z]!;
        let i = own.findIndex((ts) => ts >= from);
        if (i < 0) i = own.length;
        for (let k = 0; i < own.length || k < zero.length; ) {
          if (k < zero.length && (i === own.length || zero[k]! < own[i]!)) {
            out.ts.push(zero[k++]!);
            out.values.push(0);
          } else {
            out.ts.push(own[i]!);
            out.values.push(values[i++]!);
          }
        }
      });
    }
    const lines: string[] = [];
    ZONES.forEach((zone, z) => {
      const { ts, values } = perZone[z]!;
      if (ts.length) lines.push(...seriesLines({ __name__: "zone_seconds_total", user, zone }, ts, values, this.state.generations(user, ts)));
    });
    const hr = instants.map((c) => c.ts);
    lines.push(...seriesLines({ __name__: "heart_rate_bpm", user }, hr, instants.map((c) => c.bpm), this.state.generations(user, hr)));
    return lines;
  }

  async writeRecords({ user, gauges, movedSeries, nights, workouts }: RecordsUpdate): Promise<void> {
    await this.settle();
    await this.invalidBaseline();
    // VM deletes whole series only: one a point moved out of is deleted, then written again from what it still holds
    if (movedSeries.length) await this.vm.flush();
    for (const { name, unit } of movedSeries) await this.vm.deleteSeries(`{__name__=${JSON.stringify(name)},user=${JSON.stringify(user)},unit=${JSON.stringify(unit)}}`);
    const dailyGauges: string[] = Object.values(DAILY_GAUGES);
    for (const g of gauges) if (dailyGauges.includes(g.name)) this.training?.noteChange(user, g.ts);
    const lines: string[] = [];
    for (const points of Map.groupBy(gauges, (g) => `${g.name}\u0000${g.unit}`).values()) {
      const { name, unit } = points[0]!;
      lines.push(...seriesLines({ __name__: name, user, unit }, points.map((p) => p.ts), points.map((p) => p.value), points.map((p) => p.revision)));
    }
    await this.vm.post(lines);
    if (nights?.length) {
      const items = { metrics: SLEEP_ITEM_METRICS, points: sleepPoints(nights) };
      await this.writeFamily(user, "sleep", SLEEP_METRICS, items, nights, nights.map((n) => n.end), SLEEP_STAGES, (instants, labels, generation) =>
        sleepLines(user, nights, instants, labels, generation),
      );
    }
    if (workouts?.length) {
      const types = [...new Set(workouts.map((w) => w.type))];
      const items = { metrics: WORKOUT_ITEM_METRICS, points: workoutPoints(workouts) };
      await nextTurn();
      await this.writeFamily(user, "workouts", WORKOUT_METRICS, items, workouts, workouts.map((w) => w.end), types, (instants, labels, generation) =>
        workoutLines(user, workouts, instants, labels, generation),
      );
    }
    await this.vm.flush();
    this.state.rememberWrite(user, null, true, Date.now() / 1000);
  }

  /**
   * Rewrites a whole family of series at a new generation, at every instant it ever used (so no stale
   * point of an older generation survives) and with every label value it ever had; skipped when the
   * family's content is what was last written. Per-item gauges have points only where an item ends: when
   * one of those points is no longer written (a night or workout moved or was replaced), their series are
   * deleted first, since VM 1.79 can neither overwrite a point with nothing nor delete one point.
   */
  private async writeFamily(
    user: string,
    family: string,
    metrics: string[],
    items: { metrics: string[]; points: ReadonlySet<string> },
    content: readonly unknown[],
    instantsNow: number[],
    labelsNow: readonly string[],
    build: (instants: number[], labelValues: string[], generation: number) => string[],
  ) {
    // 100 k workouts: each step below is tens of ms, with a turn of the event loop between them
    const hash = await contentHash(content);
    let held = this.state.family(user, family);
    if (held?.contentHash === hash) return;
    await nextTurn();
    if (held && held.generation + 1 > this.maxGeneration) {
      await this.deleteSeries(user, metrics);
      this.state.forgetFamily(user, family);
      held = null;
    }
    const lost = held !== null && this.state.losesPoints(user, family, items.points);
    if (lost) await this.deleteSeries(user, items.metrics);
    await nextTurn();
    const generation = held ? held.generation + 1 : 0;
    const sorted = mergeSorted(instantsNow);
    await nextTurn();
    const instants = mergeSorted(held?.instants ?? [], sorted, prepointsFor(sorted, null, PREPOINT_GAP_S));
    await nextTurn();
    const labelValues = [...new Set([...(held?.labels ?? []), ...labelsNow])].sort();
    await this.state.saveFamily(user, family, generation, labelValues, instants);
    await this.state.savePoints(user, family, items.points, lost);
    // in slices of instants, a turn of the event loop between: 100 k workouts are millions of points
    for (let i = 0; i < instants.length; i += FAMILY_INSTANTS_PER_POST) {
      await this.vm.post(build(instants.slice(i, i + FAMILY_INSTANTS_PER_POST), labelValues, generation));
      await nextTurn();
    }
    this.state.familyWritten(user, family, hash);
    await this.vm.resetCache();
  }

  private async deleteSeries(user: string, metrics: string[]) {
    // rows still in VM's in-memory buffers escape a delete and would come back: flush them first
    // (single node; a cluster's vmstorage nodes are not reachable through vminsert/vmselect)
    await this.vm.flush();
    await this.vm.deleteSeries(`{__name__=~"${metrics.join("|")}",user="${user}"}`);
  }

  /**
   * VM answers 204 before it persists: a write made before VM's current process started may be gone,
   * however long VM was down. Returns what to deliver again (single node; see README for clusters).
   */
  /** Reads VM's invalid-line count before the first write, so a rejection of that write is noticed too. */
  private async invalidBaseline() {
    if (this.invalidSeen !== null) return;
    [this.invalidSeen, this.invalidStarted] = [await this.vm.invalidRows(), await this.vm.startTime()];
  }

  async lostWrites(): Promise<LostWrite[]> {
    await this.settle();
    const started = await this.vm.startTime();
    if (started === null) return [];
    // VM skips an invalid import line with a 204 and counts it a second later: the writes since are delivered again
    const invalid = await this.vm.invalidRows();
    const rejected = invalid !== null && this.invalidSeen !== null && invalid > this.invalidSeen && started <= this.invalidStarted!;
    this.invalidSeen = invalid;
    this.invalidStarted = started;
    const now = Date.now() / 1000;
    return this.state.lostWrites(rejected ? now : started, now, DURABILITY_WINDOW_S);
  }

  summary(user: string, from: number, to: number): Promise<Summary> {
    return this.vm.summary(user, from, to);
  }

  heartRateSeries(user: string, from: number, to: number, stepS: number): Promise<HeartRatePoint[]> {
    return this.vm.heartRateSeries(user, from, to, stepS);
  }

  daily(user: string, days: readonly LocalDay[]): Promise<DayValues[]> {
    return vmDaily(this.vm, user, days);
  }

  async finishDelivery(user: string, firstTs: number | null): Promise<void> {
    await this.settle();
    await this.vm.flush();
    await this.training?.rewrite(user, firstTs);
  }

  /** Instant query at `time`, uncached. */
  query(expr: string, time: number) {
    return this.vm.query(expr, time);
  }

  async writeDeviceReading(r: DeviceReading): Promise<void> {
    await this.settle();
    const values: [string, number | null][] = [
      ["trmnl_last_seen_timestamp_seconds", r.ts],
      ["trmnl_battery_volts", r.batteryVolts],
      ["trmnl_battery_percent", r.percentCharged],
      ["trmnl_rssi_dbm", r.rssiDbm],
    ];
    const lines = values.flatMap(([name, value]) =>
      value === null ? [] : [JSON.stringify({ metric: { __name__: name, device: r.device }, values: [value], timestamps: [r.ts * 1000] })],
    );
    await this.vm.post(lines);
    await this.vm.flush();
  }

  async deviceReadings(): Promise<DeviceReading[]> {
    const now = Math.floor(Date.now() / 1000);
    const latest = async (name: string) =>
      new Map((await this.vm.query(`last_over_time(${name}[${DEVICE_LOOKBACK}])`, now)).map((s) => [s.metric.device ?? "", Number(s.value[1])]));
    const [seen, volts, percent, rssi] = await Promise.all(
      ["trmnl_last_seen_timestamp_seconds", "trmnl_battery_volts", "trmnl_battery_percent", "trmnl_rssi_dbm"].map(latest),
    );
    return [...seen!.entries()]
      .map(([device, ts]) => ({ device, ts, batteryVolts: volts!.get(device) ?? null, percentCharged: percent!.get(device) ?? null, rssiDbm: rssi!.get(device) ?? null }))
      .sort((a, b) => a.device.localeCompare(b.device));
  }

  async health(): Promise<StoreHealth> {
    try {
      const dedup = await this.dedupInterval();
      if (dedup !== null && dedup !== REQUIRED_DEDUP) {
        return { kind: this.kind, reachable: true, detail: `VictoriaMetrics runs with -dedup.minScrapeInterval=${dedup || "(unset)"}; fitstack needs ${REQUIRED_DEDUP}` };
      }
      await this.vm.ok(`${new URL(this.options.writeUrl).origin}/health`);
      return { kind: this.kind, reachable: true };
    } catch (err) {
      return { kind: this.kind, reachable: false, detail: (err as Error).message };
    }
  }

  /** The dedup flag as VM's /flags page states it ("" when unset), or null when the page isn't there. */
  dedupInterval(): Promise<string | null> {
    return this.vm.flag("dedup.minScrapeInterval");
  }

  /** -retentionPeriod as VM states it ("" when unset: one month), or null. */
  retention(): Promise<string | null> {
    return this.vm.flag("retentionPeriod");
  }

  async clear(users: string[]): Promise<void> {
    await this.settle();
    for (const user of users) {
      await this.deleteSeries(user, [...ZONE_METRICS, ...SLEEP_METRICS, ...WORKOUT_METRICS, ...TRAINING_METRICS, "hae_.+"]);
      this.state.forgetUser(user);
      this.training?.forget(user);
    }
    await this.vm.resetCache();
  }

  async close(): Promise<void> {
    // a post that failed after the last write: its slice is still pending in the ledger, delivered again later
    await this.settle().catch(() => {});
    this.state.close();
    this.training?.close();
  }
}

/** A post of zone lines and the last day drawn for it (so the next slice can be drawn before VM answered). */
interface Posted {
  done: Promise<void>;
  day: number | null;
  end: DayEnd | null;
}

/** A backfill slice's post in flight, for `user`. */
interface InFlight extends Posted {
  user: string;
}

/** One day to write: what it was drawn from and as, from which second, and what its plan records. */
interface DayWrite {
  day: number;
  drawn: DrawnDay;
  digest: string;
  instants: readonly Credit[];
  resets: [number, number][];
  from: number;
  rewrite: boolean;
  plans: DayPlan[];
}

/** A day written before from `from` on is overwritten (a newer generation); else only added to. */
function planDay(day: number, drawn: DrawnDay, digest: string, credits: readonly Credit[], from: number, held: HeldDay | null): DayWrite {
  const rewrite = held !== null && from <= held.lastWritten;
  const resets = drawn.resets.filter(([ts]) => ts >= from - 1);
  const instants = credits[0] && credits[0].ts >= from ? credits : credits.filter((c) => c.ts >= from);
  const lastSecond = Math.max(instants.at(-1)?.ts ?? -1, resets.at(-1)?.[0] ?? -1);
  const plans: DayPlan[] = [{ day, rewrite, lastSecond }];
  // a reset point one second before the day is the day before's last second
  if (resets[0] && resets[0][0] < day * DAY_S) plans.push({ day: day - 1, rewrite: false, lastSecond: resets[0][0] });
  return { day, drawn, digest, instants, resets, from, rewrite, plans };
}
