// One file's heart-rate readings in typed arrays (20 bytes a reading, however big the file), and what
// summarize tells about them: zone time by the server's rules, cadence, gaps and duplicates.
import {
  creditTimeline,
  emptyZoneSeconds,
  MAX_CREDIT_S,
  preferSample,
  sampleProblem,
  sumZones,
  zoneBoundsBpm,
  ZONES,
  type Origin,
  type ZoneProfile,
  type ZoneSeconds,
} from "../transform/zones";
import type { HeartRatePoint } from "../render/sparkline";

export type { Origin };

const NO_ORIGIN: Origin = Object.freeze({ source: "", device: "" });
/** Readings handed to creditTimeline at once: bounded memory however long the series. */
const CREDIT_CHUNK = 4096;

export interface HeartRateFacts {
  /** Readings with a usable timestamp (seconds, not milliseconds) and a numeric bpm. */
  samples: number;
  /** Of those, the ones the server's timeline keeps: valid bpm and timestamp, one per instant. */
  credited: number;
  minBpm: number | null;
  maxBpm: number | null;
  firstTs: number | null;
  lastTs: number | null;
  zoneSeconds: ZoneSeconds;
  /** Count of each positive interval (seconds) between consecutive distinct instants. */
  intervals: Map<number, number>;
  gaps: { count: number; longestS: number; longestFromTs: number | null };
  duplicates: { count: number; firstTs: number | null };
}

export class HeartRateSeries {
  private ts = new Float64Array(1024);
  private bpm = new Float64Array(1024);
  /** Index into `origins` (one object per source and device). */
  private origin = new Uint32Array(1024);
  private origins: Origin[] = [];
  private originIndex = new Map<Origin, number>();
  length = 0;

  /** Readings must be pushed in file order: of two from one origin at one instant, the later one wins. */
  push(ts: number, bpm: number, origin: Origin = NO_ORIGIN): void {
    if (this.length === this.ts.length) {
      const grow = <A extends Float64Array | Uint32Array>(old: A, next: A) => (next.set(old), next);
      this.ts = grow(this.ts, new Float64Array(this.length * 2));
      this.bpm = grow(this.bpm, new Float64Array(this.length * 2));
      this.origin = grow(this.origin, new Uint32Array(this.length * 2));
    }
    let index = this.originIndex.get(origin);
    if (index === undefined) {
      index = this.origins.push(origin) - 1;
      this.originIndex.set(origin, index);
    }
    this.ts[this.length] = ts;
    this.bpm[this.length] = bpm;
    this.origin[this.length++] = index;
  }

  /**
   * The server's rules (pipeline → ledger): invalid readings dropped; of the rest, one per instant, folded in
   * file order with preferSample (of one origin the later is a revision); then creditTimeline. Cadence and
   * gaps are read on the same instants.
   */
  facts(profile: ZoneProfile, now: number): HeartRateFacts {
    const n = this.length;
    const { ts, bpm, origin, origins } = this;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => ts[a]! - ts[b]! || a - b);

    const facts: HeartRateFacts = {
      samples: n,
      credited: 0,
      minBpm: null,
      maxBpm: null,
      firstTs: n ? ts[order[0]!]! : null,
      lastTs: n ? ts[order[n - 1]!]! : null,
      zoneSeconds: emptyZoneSeconds(),
      intervals: new Map(),
      gaps: { count: 0, longestS: 0, longestFromTs: null },
      duplicates: { count: 0, firstTs: null },
    };
    const boundsBpm = zoneBoundsBpm(profile);
    const chunk = { length: 0, ts: new Float64Array(CREDIT_CHUNK), bpm: new Float64Array(CREDIT_CHUNK) };
    let chunkPreviousTs: number | null = null;
    const credit = () => {
      const zones = sumZones(creditTimeline(chunk, chunkPreviousTs, boundsBpm));
      for (const zone of ZONES) facts.zoneSeconds[zone] += zones[zone];
      if (chunk.length) chunkPreviousTs = chunk.ts[chunk.length - 1]!;
      chunk.length = 0;
    };
    let previous: number | null = null;
    for (let k = 0; k < n; ) {
      const t = ts[order[k]!]!;
      if (previous !== null) {
        const interval = t - previous;
        facts.intervals.set(interval, (facts.intervals.get(interval) ?? 0) + 1);
        if (interval > MAX_CREDIT_S) {
          facts.gaps.count++;
          if (interval > facts.gaps.longestS) facts.gaps = { ...facts.gaps, longestS: interval, longestFromTs: previous };
        }
      }
      previous = t;
      let kept = -1;
      for (let first = k; k < n && ts[order[k]!] === t; k++) {
        const i = order[k]!;
        const b = bpm[i]!;
        if (facts.minBpm === null || b < facts.minBpm) facts.minBpm = b;
        if (facts.maxBpm === null || b > facts.maxBpm) facts.maxBpm = b;
        if (k > first) {
          facts.duplicates.count++;
          facts.duplicates.firstTs ??= t;
        }
        if (sampleProblem({ ts: t, bpm: b, source: "", device: "" }, now)) continue;
        const candidate = origins[origin[i]!]!;
        if (kept === -1 || preferSample(origins[origin[kept]!]!, candidate) === candidate) kept = i;
      }
      if (kept === -1) continue;
      chunk.ts[chunk.length] = t;
      chunk.bpm[chunk.length++] = bpm[kept]!;
      facts.credited++;
      if (chunk.length === CREDIT_CHUNK) credit();
    }
    credit();
    return facts;
  }

  /** At most two readings (lowest, highest) per slot of time: what a plot `columns` wide can show. */
  thinned(columns: number): HeartRatePoint[] {
    const { ts, bpm, length } = this;
    let from = Infinity;
    let to = -Infinity;
    for (let i = 0; i < length; i++) {
      from = Math.min(from, ts[i]!);
      to = Math.max(to, ts[i]!);
    }
    const low = new Int32Array(columns).fill(-1);
    const high = new Int32Array(columns).fill(-1);
    for (let i = 0; i < length; i++) {
      const c = Math.min(columns - 1, Math.floor(((ts[i]! - from) / Math.max(1, to - from)) * columns));
      if (low[c] === -1 || bpm[i]! < bpm[low[c]!]!) low[c] = i;
      if (high[c] === -1 || bpm[i]! > bpm[high[c]!]!) high[c] = i;
    }
    const kept: HeartRatePoint[] = [];
    for (let c = 0; c < columns; c++) {
      if (low[c] !== -1) kept.push({ ts: ts[low[c]!]!, bpm: bpm[low[c]!]! });
      if (high[c] !== -1 && high[c] !== low[c]) kept.push({ ts: ts[high[c]!]!, bpm: bpm[high[c]!]! });
    }
    return kept.sort((a, b) => a.ts - b.ts);
  }
}

/** Median of a histogram of values (the lower middle value for an even count), or null when empty. */
export function histogramMedian(counts: Map<number, number>): number | null {
  let total = 0;
  for (const c of counts.values()) total += c;
  if (total === 0) return null;
  const middle = Math.floor((total - 1) / 2);
  let seen = 0;
  for (const value of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(value)!;
    if (seen > middle) return value;
  }
  return null;
}

export function mergeHistogram(into: Map<number, number>, from: Map<number, number>): void {
  for (const [value, count] of from) into.set(value, (into.get(value) ?? 0) + count);
}
