// One file's documents into Stats, read by the hook's own streamed reader (normalize/stream.ts) in its lenient
// mode: a bad item is reported with the path the webhook names and left out, the rest is counted. Everything
// here is summarize's own statistics over the normalized pieces: counts, ranges, anomalies, the heart rate.
import { HttpError } from "../errors";
import type { HeartRateSample, Normalized } from "../normalize/model";
import { normalizedPieces, type ByteSource, type Lenient, type PieceSizes } from "../normalize/stream";
import { MAX_BPM, MIN_BPM, MIN_TS } from "../transform/zones";
import { HeartRateSeries, type Origin } from "./heartRate";
import { KNOWN_METRICS } from "./knownMetrics";
import { utc } from "./report";
import { addProblem, bump, emptyMetric, emptyStats, maxTs, minTs, note, type MetricStats } from "./stats";

/** Seconds above this are read as milliseconds (1e11 s is the year 5138). */
const MILLISECONDS_ABOVE = 1e11;
const HEART_RATE = "heart_rate";

/** Per document, in file order: each metric's last instant (its cadence), each heart-rate series' (steps back in time). */
interface Previous {
  metrics: Map<string, number>;
  series: Map<string, number>;
}

export class FileAnalyzer {
  readonly stats = emptyStats();
  readonly heartRate = new HeartRateSeries();
  /** One Origin per source and device, so the series holds few distinct origins. */
  private origins = new Map<string, Map<string, Origin>>();

  constructor(
    private readonly now: number,
    private readonly sizes: PieceSizes = {},
  ) {}

  /** One document (a .json file, an NDJSON line or a raw entry's body); `where` prefixes its locations ("line 3"). */
  document(src: ByteSource, where: string): void {
    const { stats } = this;
    const prefix = where ? `${where}: ` : "";
    const bad: { first: HttpError | null } = { first: null };
    const lenient: Lenient = {
      offsets: stats.offsets,
      onBadItem: (err) => {
        bad.first ??= err;
        note(stats.unreadablePoints, () => `${prefix}${err.message}`);
      },
    };
    let shape: Normalized["shape"] | null = null;
    const previous: Previous = { metrics: new Map(), series: new Map() };
    let thrown: HttpError | null = null;
    try {
      for (const piece of normalizedPieces(src, this.sizes, lenient)) {
        if (!piece) continue;
        shape ??= piece.shape;
        this.piece(piece, prefix, previous);
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      thrown = err;
    }
    this.count(shape, !!(bad.first || thrown));
    // the webhook refuses the whole document at its first bad item; the problems say where and why
    if (bad.first) addProblem(stats, located(where, bad.first.field), `rejected by the webhook: ${bad.first.message}`);
    if (thrown) addProblem(stats, located(where, thrown.field), thrown.message);
  }

  /** A document that could not be read at all (not JSON, not an object). */
  failed(where: string, message: string): void {
    this.count(null, true);
    addProblem(this.stats, where, message);
  }

  /** What is not the normalizer's to tell: metric names Health Auto Export does not send. */
  finish(): this {
    for (const [name, metric] of this.stats.metrics) {
      if (!KNOWN_METRICS.has(name.replace(/_(systolic|diastolic)$/, ""))) bump(this.stats.unknownMetrics, name, metric.points);
    }
    return this;
  }

  private count(shape: Normalized["shape"] | null, rejected: boolean): void {
    const { stats } = this;
    stats.entries++;
    stats.shapes[shape ?? "unknown"]++;
    stats.strict[rejected ? "rejected" : "accepted"]++;
  }

  private piece(n: Normalized, prefix: string, previous: Previous): void {
    const { stats } = this;
    const items = n.at?.items ?? "";
    const first = n.at?.first ?? 0;
    // a heart-rate point or fixture sample is one reading, so its path is exact; elsewhere a run's ("[first…]")
    const workouts = items === "data.workouts";
    const metric = workouts || !n.heartRate.length ? null : this.metric(HEART_RATE, "count/min");
    if (workouts) stats.workoutHeartRatePoints += n.heartRate.length;
    n.heartRate.forEach((sample, k) => {
      const where = workouts ? () => `${prefix}${items}[${first}…]` : () => `${prefix}${items}[${first + k}]`;
      this.reading(sample, where, metric, previous, items);
    });
    for (const gauge of n.gauges) {
      const name = gauge.name.replace(/^hae_/, "");
      const metric = this.metric(name, gauge.unit);
      metric.points++;
      const ts = this.instant(gauge.ts, () => `${prefix}${items}[${first}…] ${name}`);
      if (ts !== null) this.step(metric, name, ts, previous);
    }
    for (const night of n.sleep) {
      // a night counts as one record of sleep_analysis, at its end
      const metric = this.metric("sleep_analysis", "hr");
      metric.points++;
      this.instant(night.start, () => `${prefix}${items}`);
      const end = this.instant(night.end, () => `${prefix}${items}`);
      if (end !== null) this.step(metric, "sleep_analysis", end, previous);
    }
    stats.workouts += n.workouts.length;
    if (n.workouts.length) bump(stats.sections, "workouts", n.workouts.length);
    for (const workout of n.workouts) {
      this.instant(workout.start, () => `${prefix}${items}[${first}…].start`);
      this.instant(workout.end, () => `${prefix}${items}[${first}…].end`);
    }
    for (const [key, count] of Object.entries(n.ignored)) {
      // kept in the raw log, not turned into metrics: points without a value, other arrays, HAE bug #60's recovery series
      if (key.startsWith("metric:")) this.metric(key.slice(7)).points += count;
      else if (key === "sleep_analysis") this.metric(key).points += count;
      else bump(stats.sections, key, count);
      if (key === "workouts.heartRateData:recovery") stats.workoutHeartRatePoints += count;
    }
    for (const [reason, count] of Object.entries(n.invalid ?? {})) bump(stats.outOfBounds, reason, count);
  }

  private reading(sample: HeartRateSample, where: () => string, metric: MetricStats | null, previous: Previous, series: string): void {
    if (metric) metric.points++;
    const ts = this.instant(sample.ts, where);
    if (ts === null) return;
    if (metric) this.step(metric, HEART_RATE, ts, previous);
    const before = previous.series.get(series);
    if (before !== undefined && ts <= before) note(this.stats.nonIncreasing, () => `${where()}: ${ts} after ${before}`);
    previous.series.set(series, ts);
    const { bpm } = sample;
    if (bpm < MIN_BPM || bpm > MAX_BPM) note(this.stats.bpmOutOfRange, () => `${where()}: ${bpm} bpm`);
    this.heartRate.push(ts, bpm, this.origin(sample));
  }

  private metric(name: string, unit?: string): MetricStats {
    let metric = this.stats.metrics.get(name);
    if (!metric) this.stats.metrics.set(name, (metric = emptyMetric()));
    if (unit) metric.units.add(unit);
    return metric;
  }

  /** A metric's record at `ts`, in file order: its range and its cadence (positive steps only). */
  private step(metric: MetricStats, name: string, ts: number, previous: Previous): void {
    metric.firstTs = minTs(metric.firstTs, ts);
    metric.lastTs = maxTs(metric.lastTs, ts);
    const before = previous.metrics.get(name);
    if (before !== undefined && ts > before) bump(metric.intervals, ts - before);
    previous.metrics.set(name, ts);
  }

  /** The instant, or null when it is not usable (counted as the anomaly it is). */
  private instant(ts: number, where: () => string): number | null {
    const { stats } = this;
    if (Math.abs(ts) > MILLISECONDS_ABOVE) return note(stats.milliseconds, () => `${where()}: ${ts}`), null;
    if (ts < MIN_TS) return note(stats.beforeYear2000, () => `${where()}: ${utc(ts) ?? ts}`), null;
    if (ts > this.now) note(stats.future, () => `${where()}: ${utc(ts)}`);
    stats.firstTs = minTs(stats.firstTs, ts);
    stats.lastTs = maxTs(stats.lastTs, ts);
    return ts;
  }

  private origin({ source, device }: HeartRateSample): Origin {
    let devices = this.origins.get(source);
    if (!devices) this.origins.set(source, (devices = new Map()));
    let origin = devices.get(device);
    if (!origin) devices.set(device, (origin = { source, device }));
    return origin;
  }
}

const located = (where: string, field: string | undefined) => [where, field].filter(Boolean).join(": ");
