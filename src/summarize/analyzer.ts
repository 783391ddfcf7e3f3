// One file's documents into Stats, read by the hook's own streamed reader (normalize/stream.ts) in its lenient,
// observed mode: a bad item is reported with the path the webhook names and left out; what summarize counts of
// the body as written (member names, a metric's points and units, each item's instants and their UTC offsets) is
// told by the reader as it reads (normalize/observe.ts), every date parsed once by the normalizer. The heart rate
// is the normalized model's, credited as the hook credits it.
import { HttpError } from "../errors";
import type { HeartRateSample, Normalized } from "../normalize/model";
import { unexpectedMember, type Observer } from "../normalize/observe";
import { RECOVERY } from "../normalize/hae";
import { SLEEP_METRIC } from "../normalize/hae-sleep";
import { normalizedPieces, type ByteSource, type PieceSizes } from "../normalize/stream";
import { MAX_BPM, MIN_BPM, MIN_TS } from "../transform/zones";
import { HeartRateSeries, type Origin } from "./heartRate";
import { KNOWN_METRICS } from "./knownMetrics";
import { addProblem, bump, emptyMetric, emptyStats, maxTs, minTs, note, type MetricStats } from "./stats";

/** Seconds above this are read as milliseconds (1e11 s is the year 5138). */
const MILLISECONDS_ABOVE = 1e11;
const WORKOUTS = "data.workouts";

/** How a document sits in its file. */
export interface DocumentOptions {
  /** "body." for a raw-log entry's body: its member names and points are named as in the entry. */
  path?: string;
  /** The last line of an NDJSON file, without its newline (a raw log's entry a crash cut short). */
  incomplete?: boolean;
}

/** One array of points in a document (a metric's data, a fixture's samples, a workout's heart rate). */
interface Block {
  name: string | null;
  metric: MetricStats | null;
  previousTs: number | null;
}

export class FileAnalyzer {
  readonly stats = emptyStats();
  readonly heartRate = new HeartRateSeries();
  /** One Origin per source and device, so the series holds few distinct origins. */
  private origins = new Map<string, Map<string, Origin>>();
  /** Pattern → member → its path in the report and whether it is unexpected: worked out once, not per point. */
  private members = new Map<string, Map<string, { path: string; unexpected: boolean }>>();

  constructor(
    private readonly now: number,
    private readonly sizes: PieceSizes = {},
  ) {}

  /** One document (a .json file, an NDJSON line or a raw entry's body); `where` prefixes its locations ("line 3"). */
  document(src: ByteSource, where: string, options: DocumentOptions = {}): void {
    const { stats } = this;
    const prefix = `${where ? `${where}: ` : ""}${options.path ?? ""}`;
    const bad: { first: HttpError | null } = { first: null };
    let shape: Normalized["shape"] | null = null;
    const observer = Object.assign(this.observer(prefix, options.path ?? ""), { shape: (known: Normalized["shape"]) => void (shape = known) });
    let thrown: HttpError | null = null;
    try {
      const onBadItem = (err: HttpError, point: boolean) => {
        bad.first ??= err;
        if (point) note(stats.unreadablePoints, () => `${where ? `${where}: ` : ""}${err.message}`);
      };
      const lenient = { observer, onBadItem };
      for (const piece of normalizedPieces(src, this.sizes, lenient)) if (piece) this.piece(piece, prefix, observer.series);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      thrown = err;
    }
    this.count(shape, !!(bad.first || thrown));
    // the webhook refuses the whole document at its first bad item; the problems say where and why (a document
    // that is not JSON, or cut short, by that alone)
    if (bad.first && !thrown) addProblem(stats, located(where, bad.first.field), `rejected by the webhook: ${bad.first.message}`);
    if (thrown) addProblem(stats, located(where, thrown.field), `${options.incomplete ? "incomplete last line (no newline): " : ""}${thrown.message}`);
  }

  /** A document that could not be read at all (not JSON, not an object). */
  failed(where: string, message: string): void {
    this.count(null, true);
    addProblem(this.stats, where, message);
  }

  /** A member name at `pattern` (without a raw entry's "body." prefix, which `path` adds). */
  member(pattern: string, name: string, path = ""): void {
    const full = path ? (pattern ? `${path}${pattern}` : path.slice(0, -1)) : pattern;
    let known = this.members.get(full);
    if (!known) this.members.set(full, (known = new Map()));
    let found = known.get(name);
    if (!found) known.set(name, (found = { path: full ? `${full}.${name}` : name, unexpected: unexpectedMember(pattern, name) }));
    bump(this.stats.keys, found.path);
    if (found.unexpected) bump(this.stats.unexpectedKeys, found.path);
  }

  /** What is not the normalizer's to tell: metric names Health Auto Export does not send. */
  finish(): this {
    for (const [name, metric] of this.stats.metrics) if (!KNOWN_METRICS.has(name)) bump(this.stats.unknownMetrics, name, metric.points);
    return this;
  }

  private count(shape: Normalized["shape"] | null, rejected: boolean): void {
    const { stats } = this;
    stats.entries++;
    stats.shapes[shape ?? "unknown"]++;
    stats.strict[rejected ? "rejected" : "accepted"]++;
  }

  /**
   * What the reader tells of one document as written: each array of points is a block (its points, range and
   * cadence in file order, its steps back in time), each item's instants the time range, offsets and anomalies.
   */
  private observer(prefix: string, path: string): Omit<Observer, "shape"> & { series: Map<string, Block> } {
    const { stats } = this;
    const series = new Map<string, Block>();
    let items = "";
    let index = 0;
    let block: Block | null = null;
    return {
      series,
      member: (pattern, name) => this.member(pattern, name, path),
      metric: (at, name, units) => {
        const metric = this.metric(name ?? "(unnamed)");
        if (typeof units === "string") metric.units.add(units);
        series.set(at, { name, metric, previousTs: null });
      },
      item: (at, i, object) => {
        items = at;
        index = i;
        if (at === WORKOUTS) {
          bump(stats.sections, "workouts");
          if (object) stats.workouts++;
          block = { name: "heart_rate", metric: null, previousTs: null };
          series.set(`${WORKOUTS}[${i}]`, block);
        } else {
          block = series.get(at) ?? null;
          if (block?.metric) block.metric.points++;
        }
      },
      instant: (field, written, ts, offset) => {
        if (ts === null) return; // a bare day is no instant; a date the webhook refuses is its refusal
        const where = () => `${prefix}${items}[${index}]${field}`;
        if (typeof written === "number" && Math.abs(ts) > MILLISECONDS_ABOVE) return note(stats.milliseconds, () => `${where()}: ${written}`);
        if (offset !== null) bump(stats.offsets, offset);
        if (ts < MIN_TS) return note(stats.beforeYear2000, () => `${where()}: ${JSON.stringify(written)}`);
        if (ts > this.now) note(stats.future, () => `${where()}: ${JSON.stringify(written)}`);
        stats.firstTs = minTs(stats.firstTs, ts);
        stats.lastTs = maxTs(stats.lastTs, ts);
        // a workout's own start and end are not its heart rate's
        if (!block || (items === WORKOUTS && !field.startsWith(".heartRateData"))) return;
        const { metric, previousTs } = block;
        if (metric) {
          metric.firstTs = minTs(metric.firstTs, ts);
          metric.lastTs = maxTs(metric.lastTs, ts);
          if (previousTs !== null && ts > previousTs) bump(metric.intervals, ts - previousTs);
        }
        if (block.name === "heart_rate" && previousTs !== null && ts <= previousTs) note(stats.nonIncreasing, () => `${where()}: ${ts} after ${previousTs}`);
        block.previousTs = ts;
      },
    };
  }

  private piece(n: Normalized, prefix: string, series: Map<string, Block>): void {
    const { stats } = this;
    const items = n.at?.items ?? "";
    const first = n.at?.first ?? 0;
    // observed, each workout is a piece of its own (normalize/stream.ts)
    const workout = items === WORKOUTS;
    if (workout) stats.workoutHeartRatePoints += n.heartRate.length;
    const heartRate = workout ? series.has(`${WORKOUTS}[${first}]`) : series.get(items)?.name === "heart_rate";
    if (heartRate) {
      n.heartRate.forEach((sample, k) => {
        const where = workout ? () => `${prefix}${items}[${first}].heartRateData[${k}]` : () => `${prefix}${items}[${first + k}]`;
        this.reading(sample, where);
      });
    }
    for (const [key, count] of Object.entries(n.ignored)) {
      // a metric's points are counted as written (the observer); the rest is kept in the raw log only
      if (key.startsWith("metric:") || key === SLEEP_METRIC) continue;
      if (key === RECOVERY) {
        stats.workoutHeartRatePoints += count;
        bump(stats.sections, key);
      } else bump(stats.sections, key, count);
    }
    for (const [reason, count] of Object.entries(n.invalid ?? {})) bump(stats.outOfBounds, reason, count);
  }

  /** A heart-rate reading as normalized: its instant was counted as written; the series takes a usable one. */
  private reading(sample: HeartRateSample, where: () => string): void {
    const { ts, bpm } = sample;
    if (Math.abs(ts) > MILLISECONDS_ABOVE || ts < MIN_TS) return;
    if (bpm < MIN_BPM || bpm > MAX_BPM) note(this.stats.bpmOutOfRange, () => `${where()}: ${bpm} bpm`);
    this.heartRate.push(ts, bpm, this.origin(sample));
  }

  private metric(name: string): MetricStats {
    let metric = this.stats.metrics.get(name);
    if (!metric) this.stats.metrics.set(name, (metric = emptyMetric()));
    return metric;
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
