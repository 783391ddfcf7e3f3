// VictoriaMetrics store. Zone seconds are a cumulative counter per zone, exact under VM's increase():
//  - points sit at every timeline instant for all five zones (plus a "pre-point" one second before an
//    instant that follows a gap > 60 s), so increase() always finds a baseline: VM looks back only window+5m;
//  - counters start at COUNTER_BASE (1e9), so VM's first-sample heuristic (#962/#3079) always treats a window's
//    first point as a baseline: every first point without a baseline is a pre-point or the first instant
//    ever, whose value repeats the total before it, so dropping it loses nothing;
//  - a late sample changes every later total, so the tail is rewritten; VM never overwrites a sample, but
//    with -dedup.minScrapeInterval=1s it keeps the largest timestamp of each second (buckets are (s-1, s]),
//    so a rewrite stamps its points at s*1000 - 999 + generation and the newest generation wins. Each UTC day
//    has its own generation, bumped when a rewrite reaches it, so only recent days age; a day that would pass
//    999 makes the user's series be deleted and rebuilt from the ledger (resumed if interrupted).
// Nights and workouts are counter families of the same kind, rebuilt whole (they are few) when they change.
import type { ZoneRewrite } from "../ledger/ledger";
import { SLEEP_STAGES, type RecordsUpdate } from "../ledger/records";
import { ZONES } from "../transform/zones";
import type { DeviceReading, HeartRatePoint, LostWrite, Store, StoreHealth, Summary } from "./store";
import { SLEEP_ITEM_METRICS, SLEEP_METRICS, sleepLines, sleepPoints, WORKOUT_ITEM_METRICS, WORKOUT_METRICS, workoutLines, workoutPoints } from "./vm-families";
import { counterLines, mergeSorted, prepointsFor, seriesLines, MAX_REVISION } from "./vm-lines";
import { VmClient } from "./vm-client";
import { VmWriterState } from "./vm-state";

/** A timeline instant further than this from its predecessor gets a pre-point (VM's lookback is >= 5 min). */
const PREPOINT_GAP_S = 60;
export const REQUIRED_DEDUP = "1s";
const INSTANTS_PER_POST = 50_000;
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
}

export class VmStore implements Store {
  readonly kind = "victoriametrics" as const;
  private readonly state: VmWriterState;
  private readonly maxGeneration: number;
  private readonly vm: VmClient;
  /** vm_rows_invalid_total{type="vmimport"} at the last look, and VM's start time then (a restart resets it). */
  private invalidSeen: number | null = null;
  private invalidStarted: number | null = null;

  constructor(private readonly options: VmStoreOptions) {
    this.state = new VmWriterState(options.stateDir);
    this.maxGeneration = options.maxGeneration ?? MAX_REVISION;
    this.vm = new VmClient(options.writeUrl, options.readUrl, options.timeoutMs ?? 60_000);
  }

  async writeZones(rewrite: ZoneRewrite, history: () => Iterable<ZoneRewrite>): Promise<void> {
    await this.invalidBaseline();
    const { user, since } = rewrite;
    const lastInstant = rewrite.credits.at(-1)?.ts ?? -1;
    if (this.state.needsRebuild(user) || !this.state.planZones(user, since, lastInstant, this.maxGeneration)) {
      await this.rebuildZones(user, history);
      return;
    }
    await this.postZones(rewrite);
    // searchable now rather than in a few seconds, so /api/summary and the e-ink screen reflect the sync
    await this.vm.flush();
    this.state.rememberWrite(user, since, false, Date.now() / 1000);
    await this.vm.resetCache();
  }

  /** Deletes the user's zone series and writes the whole history again from generation 0. */
  private async rebuildZones(user: string, history: () => Iterable<ZoneRewrite>) {
    this.state.startRebuild(user);
    await this.deleteSeries(user, ZONE_METRICS);
    let first: number | null = null;
    for (const slice of history()) {
      first ??= slice.since;
      this.state.planZones(user, slice.since, slice.credits.at(-1)?.ts ?? -1, this.maxGeneration);
      await this.postZones(slice);
    }
    this.state.finishRebuild(user);
    await this.vm.flush();
    this.state.rememberWrite(user, first ?? 0, false, Date.now() / 1000);
    await this.vm.resetCache();
  }

  /** Posts the counters and the heart-rate gauge for a rewrite, in slices of instants. */
  private async postZones(rewrite: ZoneRewrite) {
    const { user, since } = rewrite;
    const timeline = rewrite.credits.map((c) => c.ts);
    const prepoints = this.state.prepoints(user, prepointsFor(timeline, rewrite.previousTs, PREPOINT_GAP_S), since - 1);
    const instants = mergeSorted(timeline, prepoints);
    const totals = ZONES.map((z) => rewrite.base[z]);
    let next = 0;
    for (let i = 0; i < instants.length; i += INSTANTS_PER_POST) {
      const slice = instants.slice(i, i + INSTANTS_PER_POST);
      const first = next;
      while (next < rewrite.credits.length && rewrite.credits[next]!.ts <= slice.at(-1)!) next++;
      const credits = rewrite.credits.slice(first, next);
      const lines = counterLines(
        {
          metric: "zone_seconds_total",
          labels: { user },
          labelKey: "zone",
          labelValues: ZONES,
          base: totals,
          instants: slice,
          credits: credits.map((c) => ({ ts: c.ts, label: c.zone, amount: c.seconds })),
        },
        this.state.generations(user, slice),
      );
      const ts = credits.map((c) => c.ts);
      lines.push(...seriesLines({ __name__: "heart_rate_bpm", user }, ts, credits.map((c) => c.bpm), this.state.generations(user, ts)));
      await this.vm.post(lines);
      for (const c of credits) totals[c.zone]! += c.seconds;
    }
  }

  async writeRecords({ user, gauges, movedSeries, nights, workouts }: RecordsUpdate): Promise<void> {
    await this.invalidBaseline();
    // VM deletes whole series only: one a point moved out of is deleted, then written again from what it still holds
    if (movedSeries.length) await this.vm.flush();
    for (const { name, unit } of movedSeries) await this.vm.deleteSeries(`{__name__=${JSON.stringify(name)},user=${JSON.stringify(user)},unit=${JSON.stringify(unit)}}`);
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
    const hash = await contentHash(content);
    let held = this.state.family(user, family);
    if (held?.contentHash === hash) return;
    if (held && held.generation + 1 > this.maxGeneration) {
      await this.deleteSeries(user, metrics);
      this.state.forgetFamily(user, family);
      held = null;
    }
    const lost = held !== null && this.state.losesPoints(user, family, items.points);
    if (lost) await this.deleteSeries(user, items.metrics);
    const generation = held ? held.generation + 1 : 0;
    const sorted = mergeSorted(instantsNow);
    const instants = mergeSorted(held?.instants ?? [], sorted, prepointsFor(sorted, null, PREPOINT_GAP_S));
    const labelValues = [...new Set([...(held?.labels ?? []), ...labelsNow])].sort();
    this.state.saveFamily(user, family, generation, labelValues, instants);
    this.state.savePoints(user, family, items.points, lost);
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

  /** Instant query at `time`, uncached. */
  query(expr: string, time: number) {
    return this.vm.query(expr, time);
  }

  async writeDeviceReading(r: DeviceReading): Promise<void> {
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
    for (const user of users) {
      await this.deleteSeries(user, [...ZONE_METRICS, ...SLEEP_METRICS, ...WORKOUT_METRICS, "hae_.+"]);
      this.state.forgetUser(user);
    }
    await this.vm.resetCache();
  }

  async close(): Promise<void> {
    this.state.close();
  }
}
