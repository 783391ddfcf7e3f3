// One file's heart-rate readings in typed arrays (16 bytes a reading, however big the file), and what
// summarize tells about them: zone time by the transform's rules, cadence, gaps and duplicates.
import { MAX_CREDIT_S, sampleProblem, zoneIndex, ZONES, emptyZoneSeconds, type ZoneSeconds } from "../transform/zones";
import type { HeartRatePoint } from "../render/sparkline";

export interface HeartRateFacts {
  /** Readings with a usable timestamp (seconds, not milliseconds) and a numeric bpm. */
  samples: number;
  /** Of those, the ones the transform keeps: valid bpm and timestamp, first at its instant. */
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
  length = 0;

  push(ts: number, bpm: number): void {
    if (this.length === this.ts.length) {
      const grow = (old: Float64Array) => {
        const next = new Float64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.ts = grow(this.ts);
      this.bpm = grow(this.bpm);
    }
    this.ts[this.length] = ts;
    this.bpm[this.length++] = bpm;
  }

  append(other: HeartRateSeries): void {
    for (let i = 0; i < other.length; i++) this.push(other.ts[i]!, other.bpm[i]!);
  }

  /**
   * The transform's rules (see transformBatch): invalid readings dropped, sorted, one reading per
   * instant (the lowest bpm, as preferSample picks within one source), dt = min(gap, 10 s) credited
   * to the later reading's zone. Cadence and gaps are read on the same timeline.
   */
  facts(boundsBpm: number[], now: number): HeartRateFacts {
    const n = this.length;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const { ts, bpm } = this;
    order.sort((a, b) => ts[a]! - ts[b]! || bpm[a]! - bpm[b]!);

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
    let previousAll: number | null = null;
    let previousCredited: number | null = null;
    const probe = { ts: 0, bpm: 0, source: "", device: "" };
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const t = ts[i]!;
      const b = bpm[i]!;
      if (facts.minBpm === null || b < facts.minBpm) facts.minBpm = b;
      if (facts.maxBpm === null || b > facts.maxBpm) facts.maxBpm = b;
      if (previousAll !== null && t === previousAll) {
        facts.duplicates.count++;
        facts.duplicates.firstTs ??= t;
      } else if (previousAll !== null) {
        const interval = t - previousAll;
        facts.intervals.set(interval, (facts.intervals.get(interval) ?? 0) + 1);
        if (interval > MAX_CREDIT_S) {
          facts.gaps.count++;
          if (interval > facts.gaps.longestS) facts.gaps = { ...facts.gaps, longestS: interval, longestFromTs: previousAll };
        }
      }
      previousAll = t;
      probe.ts = t;
      probe.bpm = b;
      if (sampleProblem(probe, now) || (previousCredited !== null && t <= previousCredited)) continue;
      const seconds = previousCredited === null ? 0 : Math.min(t - previousCredited, MAX_CREDIT_S);
      facts.zoneSeconds[ZONES[zoneIndex(b, boundsBpm)]!] += seconds;
      facts.credited++;
      previousCredited = t;
    }
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
