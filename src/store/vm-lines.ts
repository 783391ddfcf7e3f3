// /api/v1/import JSON lines for VictoriaMetrics: cumulative counters and gauges, stamped for dedup.
// Why the stamps and the counter base: see the comment at the top of vm.ts.

// VM counts a window's first value from 0 when it is below 10 × (next step + 1): the base must dwarf the largest
// single step of any counter (a 100 km ride is 1e5 m), and float64 keeps 1e9 + fractions exact enough.
export const COUNTER_BASE = 1e9;
/** Revisions fit in the 999 ms below each whole second (dedup buckets are (s-1, s]). */
export const MAX_REVISION = 999;
const POINTS_PER_LINE = 10_000;

/** Milliseconds for second `s` at a revision: the newest revision of a second wins VM's 1 s dedup. */
export const stamp = (s: number, revision: number) => s * 1000 - 999 + Math.min(revision, MAX_REVISION);

export interface CounterCredit {
  ts: number;
  /** Index into the family's label values. */
  label: number;
  amount: number;
}

export interface CounterFamily {
  metric: string;
  labels: Record<string, string>;
  labelKey: string;
  labelValues: readonly string[];
  /** Totals per label value before the first instant. */
  base: readonly number[];
  /** Sorted instants; every label value gets a point at each. */
  instants: readonly number[];
  /** Sorted by ts; every ts is one of the instants. */
  credits: readonly CounterCredit[];
}

/** One cumulative series per label value, from COUNTER_BASE + base, with a point at every instant. */
export function counterLines(family: CounterFamily, revision: number | readonly number[]): string[] {
  const { labelValues, instants, credits } = family;
  const totals = labelValues.map((_, i) => COUNTER_BASE + (family.base[i] ?? 0));
  const values: number[][] = labelValues.map(() => new Array(instants.length));
  let next = 0;
  instants.forEach((instant, at) => {
    while (next < credits.length && credits[next]!.ts <= instant) {
      const c = credits[next++]!;
      // one non-finite amount would turn every later total into Infinity, a line VM rejects
      if (Number.isFinite(c.amount)) totals[c.label]! += c.amount;
    }
    for (let l = 0; l < labelValues.length; l++) values[l]![at] = totals[l]!;
  });
  return labelValues.flatMap((value, l) =>
    seriesLines({ __name__: family.metric, ...family.labels, [family.labelKey]: value }, instants, values[l]!, revision),
  );
}

export function seriesLines(metric: Record<string, string>, allInstants: readonly number[], allValues: readonly number[], revision: number | readonly number[]): string[] {
  // VM's JSON has no Infinity or NaN: such a value is not a point (and would make VM skip the whole line)
  const finite = allValues.every(Number.isFinite);
  const keep = (_: unknown, i: number) => Number.isFinite(allValues[i]);
  const instants = finite ? allInstants : allInstants.filter(keep);
  const values = finite ? allValues : allValues.filter(keep);
  if (!finite && typeof revision !== "number") revision = revision.filter(keep);
  const lines: string[] = [];
  const head = `{"metric":${JSON.stringify(metric)},"values":[`;
  for (let i = 0; i < instants.length; i += POINTS_PER_LINE) {
    const end = Math.min(i + POINTS_PER_LINE, instants.length);
    lines.push(`${head}${joined(values, i, end)}],"timestamps":[${joinedStamps(instants, i, end, revision)}]}`);
  }
  return lines;
}

/** A whole number that fits 32 bits as one (|0), anything else as it is: an array of such joins ~8× faster than doubles. */
const compact = (n: number) => ((n | 0) === n ? n | 0 : n);

/** values[from, end) joined with commas. */
function joined(values: readonly number[], from: number, end: number): string {
  const out = new Array<number>(end - from);
  for (let j = from; j < end; j++) out[j - from] = compact(values[j]!);
  return out.join(",");
}

/**
 * The stamps of instants[from, end) joined with commas. At one revision below MAX_REVISION a stamp is s - 1 followed
 * by the three digits of revision + 1, so whole seconds are joined (~8× faster than 13-digit numbers).
 */
export function joinedStamps(instants: readonly number[], from: number, end: number, revision: number | readonly number[]): string {
  if (typeof revision === "number" && Number.isInteger(revision) && revision >= 0 && revision < MAX_REVISION) {
    const before = new Array<number>(end - from);
    let whole = true;
    for (let j = from; j < end; j++) {
      const s = compact(instants[j]! - 1);
      // a second before 1970-01-01T00:00:02 would lose its leading digit
      whole &&= Number.isInteger(s) && s >= 1;
      before[j - from] = s;
    }
    const digits = String(revision + 1).padStart(3, "0");
    if (whole && before.length) return `${before.join(`${digits},`)}${digits}`;
  }
  const stamps = new Array<number>(end - from);
  for (let j = from; j < end; j++) stamps[j - from] = stamp(instants[j]!, typeof revision === "number" ? revision : revision[j]!);
  return stamps.join(",");
}

/** Merges sorted number arrays into one sorted array without repeats. */
export function mergeSorted(...lists: readonly (readonly number[])[]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

/** Instants one second before each instant that follows a gap longer than `gapS` (VM looks back >= 5 min). */
export function prepointsFor(instants: readonly number[], previous: number | null, gapS: number): number[] {
  const out: number[] = [];
  let prev = previous;
  for (const ts of instants) {
    if (prev === null || ts - prev > gapS) out.push(ts - 1);
    prev = ts;
  }
  return out;
}

/** Index of the first value > ts in sorted values (values.length when none is). */
export function firstAfter(values: ArrayLike<number>, ts: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
