// Turns the scanner's pieces of one file into Stats: lenient (every readable point counts, whatever
// else is wrong) plus the webhook's strict normalisation on each document small enough to hold.
import { normalizePayload } from "../normalize";
import { parseHaeDate, parseHaeInstant } from "../normalize/dates";
import { isRecoverySeries, metricName } from "../normalize/hae";
import { MAX_BPM, MIN_BPM, MIN_TS } from "../transform/zones";
import { HeartRateSeries, type Origin } from "./heartRate";
import type { Frame, ScanSink } from "./jsonScanner";
import { CONTAINER_KEYS, KNOWN_METRICS } from "./knownMetrics";
import { addProblem, bump, emptyMetric, emptyStats, maxTs, mergeMetric, minTs, note, type MetricStats, type Occurrence, type Stats } from "./stats";

/** Seconds above this are read as milliseconds (1e11 s is the year 5138). */
const MILLISECONDS_ABOVE = 1e11;
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** One series being read (a metric's data[], a fixture's samples[], a workout's heartRateData[]). */
interface Block {
  metric: MetricStats;
  /** Filled only while the series may be heart rate (its name may come after its data). */
  heartRate: HeartRateSeries | null;
  /** A fixture's sender, shared by all its samples; null where each point names its own source. */
  origin: Origin | null;
  previousTs: number | null;
  nonIncreasing: Occurrence;
  bpmOutOfRange: Occurrence;
  noBpm: Occurrence;
  name: string | undefined;
  path: string;
}

/** A fixture's `source`, `sourceBundleId` and `device`, which may come before or after its samples. */
interface FixtureSender {
  origin: Origin;
  source?: string;
  sourceBundleId?: string;
}

interface Open {
  frame: Frame;
  pattern: string;
  index: number;
}

export class FileAnalyzer implements ScanSink {
  readonly stats = emptyStats();
  heartRate = new HeartRateSeries();
  private stack: Open[] = [];
  private where = "";
  private block: Block | null = null;
  /** pattern → key → its path and whether it is unexpected: computed once, not per point. */
  private keyCache = new Map<string, Map<string, { path: string; unexpected: boolean }>>();
  private shape: { data: boolean; fixture: boolean; raw: boolean; recorded: boolean } | null = null;
  /** Per document, the fixture sender of the root object and of a raw entry's body. */
  private senders: Partial<Record<"root" | "body", FixtureSender>> = {};
  /** One Origin per HAE source string, so a series holds few distinct origins. */
  private pointOrigins = new Map<string, Origin>();

  constructor(private readonly now: number) {}

  /** Prefix for locations, e.g. "line 3: " in NDJSON. */
  setLocation(where: string): void {
    this.where = where;
  }

  open(frame: Frame, key: string): void {
    const parent = this.stack.at(-1);
    const pattern = !parent ? "" : parent.frame === "metrics" ? `${parent.pattern}[]` : parent.pattern ? `${parent.pattern}.${key}` : key;
    if (parent && parent.frame !== "metrics") this.countKey(parent.pattern, key);
    if (frame === "root") {
      this.shape = { data: false, fixture: false, raw: false, recorded: false };
      this.senders = {};
    }
    if (frame === "body" && this.shape) this.shape.raw = true;
    if (frame === "data" && this.shape) this.shape.data = true;
    if (frame === "samples" && this.shape) {
      this.shape.fixture = true;
      this.block = this.newBlock("heart_rate", `${pattern}`);
      if (parent?.frame === "root" || parent?.frame === "body") this.block.origin = this.sender(parent.frame).origin;
    }
    if (frame === "metric") this.block = this.newBlock(undefined, `${pattern.slice(0, -2)}[${parent!.index}]`);
    if (parent && (parent.frame === "metrics" || parent.frame === "section")) parent.index++;
    this.stack.push({ frame, pattern, index: 0 });
  }

  close(frame: Frame): void {
    this.stack.pop();
    if (frame === "metric" || frame === "samples") this.endBlock();
    if (frame === "root") this.recordShape();
  }

  value(parent: Frame | "top", key: string, text: string): void {
    const open = this.stack.at(-1);
    if (parent === "top" || !open) {
      addProblem(this.stats, this.where.replace(/: $/, ""), `not a payload object: ${snippet(text)}`);
      return;
    }
    const at = (i: number) => `${this.where}${open.pattern}[${i}]`;
    switch (parent) {
      case "root":
      case "body":
      case "data":
      case "metric":
        this.countKey(open.pattern, key);
        if (parent === "root" || parent === "body") {
          if (key === "type" || key === "samples") this.shape!.fixture = true;
          if (key === "source" || key === "sourceBundleId" || key === "device") this.setSender(parent, key, safeParse(text));
        }
        if (parent === "metric" && (key === "name" || key === "units")) {
          const value = safeParse(text);
          if (typeof value !== "string") return addProblem(this.stats, `${this.where}${this.block!.path}.${key}`, `not a string: ${snippet(text)}`);
          if (key === "name") this.block!.name = metricName(value);
          else this.block!.metric.units.add(value);
        }
        return;
      case "metricData":
      case "samples": {
        const i = open.index++;
        const prefix = this.where;
        const path = this.block!.path;
        const where = parent === "samples" ? () => `${prefix}${path}[${i}]` : () => `${prefix}${path}.data[${i}]`;
        return this.point(safeParse(text), text, open.pattern, where, parent === "samples");
      }
      case "section":
        return this.sectionEntry(open, safeParse(text), at(open.index++));
      case "metrics":
        open.index++;
        return addProblem(this.stats, at(open.index - 1), `a metric must be an object, got ${snippet(text)}`);
    }
  }

  docEnd(text: string | null, complete: boolean): void {
    if (this.block) this.endBlock();
    if (this.shape) this.recordShape();
    else this.stats.shapes.unknown++; // not an object, or not JSON at all
    this.shape = null;
    this.stack = [];
    this.stats.entries++;
    if (!complete) {
      this.stats.strict.rejected++;
      return;
    }
    if (text === null) {
      this.stats.strict.skipped++;
      return;
    }
    try {
      let body: unknown = JSON.parse(text);
      if (isRecord(body) && "body" in body && "id" in body) body = body.body;
      normalizePayload(body);
      this.stats.strict.accepted++;
    } catch (err) {
      this.stats.strict.rejected++;
      const field = (err as { field?: string }).field;
      addProblem(this.stats, `${this.where}${field ?? ""}`.replace(/: $/, ""), `rejected by the webhook: ${(err as Error).message}`);
    }
  }

  error(message: string): void {
    addProblem(this.stats, this.where.replace(/: $/, ""), message);
  }

  private newBlock(name: string | undefined, path: string): Block {
    const heartRate = name === undefined || name === "heart_rate" ? new HeartRateSeries() : null;
    return { metric: emptyMetric(), heartRate, origin: null, previousTs: null, nonIncreasing: { count: 0, first: null }, bpmOutOfRange: { count: 0, first: null }, noBpm: { count: 0, first: null }, name, path };
  }

  /** The block's name is known now (HAE sends keys in any order): file its counts under it. */
  private endBlock(block = this.block): void {
    if (!block) return;
    if (block === this.block) this.block = null;
    const name = block.name ?? "(unnamed)";
    const { stats } = this;
    if (!stats.metrics.has(name)) stats.metrics.set(name, emptyMetric());
    mergeMetric(stats.metrics.get(name)!, block.metric);
    if (!KNOWN_METRICS.has(name)) bump(stats.unknownMetrics, name, block.metric.points);
    if (name === "heart_rate" && block.heartRate) this.addHeartRate(block);
  }

  private addHeartRate(block: Block): void {
    if (this.heartRate.length === 0) this.heartRate = block.heartRate!; // the usual single series: no copy
    else this.heartRate.append(block.heartRate!);
    note(this.stats.nonIncreasing, () => block.nonIncreasing.first!, block.nonIncreasing.count);
    note(this.stats.bpmOutOfRange, () => block.bpmOutOfRange.first!, block.bpmOutOfRange.count);
    note(this.stats.unreadablePoints, () => block.noBpm.first!, block.noBpm.count);
  }

  private point(point: unknown, text: string, pattern: string, at: () => string, fixture: boolean): void {
    const block = this.block!;
    block.metric.points++;
    if (!isRecord(point)) return note(this.stats.unreadablePoints, () => `${at()}: not a JSON object: ${snippet(text)}`);
    const elements = `${pattern}[]`;
    for (const key in point) this.countKey(elements, key);
    const ts = this.instant(fixture ? point.ts : (point.date ?? point.startDate ?? point.sleepStart ?? point.start), at);
    if (ts === null) return;
    const value = fixture ? point.bpm : (point.Avg ?? point.qty);
    this.series(block, ts, value, at, block.origin ?? this.pointOrigin(point.source));
  }

  private series(block: Block, ts: number, value: unknown, at: () => string, origin: Origin): void {
    const { metric } = block;
    metric.firstTs = minTs(metric.firstTs, ts);
    metric.lastTs = maxTs(metric.lastTs, ts);
    const previous = block.previousTs;
    if (previous !== null && ts > previous) bump(metric.intervals, ts - previous);
    if (previous !== null && ts <= previous) note(block.nonIncreasing, () => `${at()}: ${ts} after ${previous}`);
    block.previousTs = ts;
    if (!block.heartRate) return;
    if (typeof value !== "number" || !Number.isFinite(value)) return note(block.noBpm, () => `${at()}: no numeric bpm`);
    if (value < MIN_BPM || value > MAX_BPM) note(block.bpmOutOfRange, () => `${at()}: ${value} bpm`);
    block.heartRate.push(ts, value, origin);
  }

  /** Unix seconds of a point's time, or null when it has none usable (counted as the anomaly it is). */
  private instant(raw: unknown, at: () => string): number | null {
    const { stats } = this;
    let ts: number;
    if (typeof raw === "number" && Number.isFinite(raw)) {
      if (Math.abs(raw) > MILLISECONDS_ABOVE) return note(stats.milliseconds, () => `${at()}: ${raw}`), null;
      ts = raw;
    } else if (typeof raw === "string") {
      if (DAY_ONLY.test(raw)) return null; // sleep's date-only `date`: a day, not an instant
      try {
        ts = parseHaeDate(raw);
        bump(stats.offsets, offsetOf(raw));
      } catch (err) {
        return note(stats.unreadablePoints, () => `${at()}: ${(err as Error).message}`), null;
      }
    } else return note(stats.unreadablePoints, () => `${at()}: no timestamp`), null;
    if (ts < MIN_TS) return note(stats.beforeYear2000, () => `${at()}: ${JSON.stringify(raw)}`), null;
    if (ts > this.now) note(stats.future, () => `${at()}: ${JSON.stringify(raw)}`);
    stats.firstTs = minTs(stats.firstTs, ts);
    stats.lastTs = maxTs(stats.lastTs, ts);
    return ts;
  }

  private sectionEntry(open: Open, entry: unknown, at: string): void {
    const name = open.pattern.slice(open.pattern.lastIndexOf(".") + 1);
    bump(this.stats.sections, name);
    if (name !== "workouts" || !isRecord(entry)) return;
    this.stats.workouts++;
    for (const key of Object.keys(entry)) this.countKey(`${open.pattern}[]`, key);
    this.instant(entry.start, () => `${at}.start`);
    const end = this.instant(entry.end, () => `${at}.end`);
    if (!Array.isArray(entry.heartRateData)) return;
    if (end !== null && isRecoverySeries(entry.heartRateData, end)) {
      // as the hook: HAE bug #60 put the post-workout recovery series here; it is not counted
      this.stats.workoutHeartRatePoints += entry.heartRateData.length;
      bump(this.stats.sections, "workouts.heartRateData:recovery");
      return;
    }
    const block = this.newBlock("heart_rate", `${at}.heartRateData`);
    entry.heartRateData.forEach((point, i) => {
      this.stats.workoutHeartRatePoints++;
      const where = () => `${at}.heartRateData[${i}]`;
      if (!isRecord(point)) return note(this.stats.unreadablePoints, () => `${where()}: not an object`);
      const ts = this.instant(point.date, where);
      if (ts !== null) this.series(block, ts, point.Avg ?? point.qty, where, this.pointOrigin(point.source));
    });
    this.addHeartRate(block);
  }

  private sender(frame: "root" | "body"): FixtureSender {
    return (this.senders[frame] ??= { origin: { source: "", device: "" } });
  }

  /** As normalizeFixture: source, else sourceBundleId, else ""; a value that is not a string counts as absent. */
  private setSender(frame: "root" | "body", key: "source" | "sourceBundleId" | "device", value: unknown): void {
    const sender = this.sender(frame);
    const text = typeof value === "string" ? value : undefined;
    if (key === "device") sender.origin.device = text ?? "";
    else sender[key] = text;
    sender.origin.source = sender.source ?? sender.sourceBundleId ?? "";
  }

  /** As normalizeHae: a point's own source, "" when absent (or not a string); device is always "". */
  private pointOrigin(source: unknown): Origin {
    const name = typeof source === "string" ? source : "";
    let origin = this.pointOrigins.get(name);
    if (!origin) this.pointOrigins.set(name, (origin = { source: name, device: "" }));
    return origin;
  }

  private countKey(pattern: string, key: string): void {
    let known = this.keyCache.get(pattern);
    if (!known) this.keyCache.set(pattern, (known = new Map()));
    let found = known.get(key);
    if (!found) {
      const path = pattern ? `${pattern}.${key}` : key;
      const allowed = CONTAINER_KEYS[pattern.replace(/^body\.?/, "").replace(/\[\]/g, "")];
      known.set(key, (found = { path, unexpected: !!allowed && !allowed.has(key) }));
    }
    bump(this.stats.keys, found.path);
    if (found.unexpected) bump(this.stats.unexpectedKeys, found.path);
  }

  private recordShape(): void {
    const shape = this.shape;
    if (!shape || shape.recorded) return;
    shape.recorded = true;
    this.stats.shapes[shape.data ? "hae" : shape.fixture ? "fixture" : "unknown"]++;
    if (shape.raw) this.stats.rawEntries++;
  }
}

/** Seconds east of UTC written in an HAE date string (fast for the common `… +0100` form). */
function offsetOf(value: string): number {
  if (value.length === 25 && value.charCodeAt(19) === 32) {
    const sign = value[20] === "-" ? -1 : 1;
    return sign * (Number(value.slice(21, 23)) * 3600 + Number(value.slice(23, 25)) * 60);
  }
  return parseHaeInstant(value).offsetSeconds;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

