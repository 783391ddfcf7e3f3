// HTTP to VictoriaMetrics: imports, admin calls, and the queries behind /api/summary.
import { SLEEP_STAGES } from "../ledger/records";
import type { SleepStage } from "../normalize/model";
import { emptyZoneSeconds, MAX_FUTURE_S, MIN_TS, ZONES } from "../transform/zones";
import type { HeartRatePoint, Summary } from "./store";

type Vector = { metric: Record<string, string>; value: [number, string] }[];

const LINES_PER_REQUEST = 50;

/**
 * Import lines as request bodies of LINES_PER_REQUEST lines: Blobs (one UTF-8 copy, no joined string), so the
 * lines' strings are garbage as soon as these are made, even while VM still ingests them.
 */
export function importBodies(lines: readonly string[]): Blob[] {
  const bodies: Blob[] = [];
  for (let i = 0; i < lines.length; i += LINES_PER_REQUEST) bodies.push(new Blob(lines.slice(i, i + LINES_PER_REQUEST).flatMap((line) => [line, "\n"])));
  return bodies;
}

/** HTTP to VictoriaMetrics: imports, admin calls, and the queries behind /api/summary. */
export class VmClient {
  constructor(
    private readonly writeUrl: string,
    private readonly readUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async post(lines: readonly string[]) {
    await this.postBodies(importBodies(lines));
  }

  /** Import bodies made by importBodies, one request each. */
  async postBodies(bodies: readonly Blob[]) {
    for (const body of bodies) await this.ok(`${this.writeUrl}/api/v1/import`, { method: "POST", body });
  }

  /**
   * Import lines VM skipped as invalid since it started, from its /metrics, or null when that cannot be read.
   * VM 1.79 answers 204 to an import with bad lines and counts them here about a second later.
   */
  async invalidRows(): Promise<number | null> {
    const res = await fetch(`${new URL(this.writeUrl).origin}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (!res?.ok) return null;
    const match = /^vm_rows_invalid_total\{type="vmimport"\} (\d+)/m.exec(await res.text());
    return match ? Number(match[1]) : 0;
  }

  async flush() {
    await this.ok(`${new URL(this.writeUrl).origin}/internal/force_flush`).catch(() => {});
  }

  async deleteSeries(match: string) {
    // cluster: vmselect serves deletes under /delete/<tenant>/prometheus instead of /select/<tenant>/prometheus
    const base = this.readUrl.replace(/\/select\/([^/]+)\/prometheus$/, "/delete/$1/prometheus");
    await this.ok(`${base}/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent(match)}`, { method: "POST" });
  }

  /** After a backfill, cached rollups would answer from before it. */
  async resetCache() {
    await this.ok(`${new URL(this.readUrl).origin}/internal/resetRollupResultCache`).catch(() => {});
  }

  /** When the VM process started (unix s), from its /metrics, or null when it cannot be read. */
  async startTime(): Promise<number | null> {
    try {
      const res = await fetch(`${new URL(this.writeUrl).origin}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) return null;
      const match = /^vm_app_start_timestamp (\d+(?:\.\d+)?)/m.exec(await res.text());
      return match ? Number(match[1]) : null;
    } catch {
      return null;
    }
  }

  /** A flag's value as VM's /flags page states it ("" when unset), or null when the page isn't there. */
  async flag(name: string): Promise<string | null> {
    const res = await fetch(`${new URL(this.readUrl).origin}/flags`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const match = new RegExp(`-${name.replace(/\./g, "\\.")}="([^"]*)"`).exec(await res.text());
    return match ? match[1]! : "";
  }

  /** Instant query at `time`, uncached: a backfill must never be answered from VM's rollup cache. */
  async query(expr: string, time: number): Promise<Vector> {
    const params = new URLSearchParams({ query: expr, time: String(time), nocache: "1" });
    const res = await this.ok(`${this.readUrl}/api/v1/query?${params}`);
    return ((await res.json()) as { data: { result: Vector } }).data.result;
  }

  /** Range query (unix s), uncached: with nocache VM also keeps `start` as given instead of aligning it to the step. */
  async queryRange(expr: string, start: number, end: number, stepS: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: `${stepS}s`, nocache: "1" });
    const res = await this.ok(`${this.readUrl}/api/v1/query_range?${params}`);
    return ((await res.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } }).data.result;
  }

  async summary(user: string, requestedFrom: number, requestedTo: number): Promise<Summary> {
    // nothing is stored before 2000 or more than 2 days ahead, and VM answers nothing for a window reaching
    // before 1970-01-02: query the part of the range that can hold data, report the range asked for
    const from = Math.max(requestedFrom, MIN_TS - 1);
    const to = Math.min(requestedTo, Math.floor(Date.now() / 1000) + MAX_FUTURE_S);
    if (from >= to) return { ...emptySummary(user), from: requestedFrom, to: requestedTo };
    const w = `[${to - from}s]`;
    const sel = (metric: string) => `${metric}{user="${user}"}`;
    const q = (expr: string) => this.query(expr, to);
    const [zones, hrAt, hrValue, restAt, restValue, workoutTotals, lastWorkoutAt, sleepEndAt] = await Promise.all([
      q(`increase(${sel("zone_seconds_total")}${w})`),
      q(`tlast_over_time(${sel("heart_rate_bpm")}${w})`),
      q(`last_over_time(${sel("heart_rate_bpm")}${w})`),
      q(`tlast_over_time(${sel("hae_resting_heart_rate")}${w})`),
      q(`last_over_time(${sel("hae_resting_heart_rate")}${w})`),
      q(
        `label_set(sum(increase(${sel("workouts_total")}${w})), "k", "count") or label_set(sum(increase(${sel("workout_distance_meters_total")}${w})), "k", "distance_m")` +
          ` or label_set(sum(increase(${sel("workout_duration_seconds_total")}${w})), "k", "duration_s") or label_set(sum(increase(${sel("workout_active_energy_kcal_total")}${w})), "k", "active_energy_kcal")`,
      ),
      q(`tlast_over_time(${sel("workout_start_timestamp_seconds")}${w})`),
      q(`last_over_time(${sel("sleep_end_timestamp_seconds")}${w})`),
    ]);
    const zoneSeconds = emptyZoneSeconds();
    for (const item of zones) {
      const zone = item.metric.zone as (typeof ZONES)[number];
      if (ZONES.includes(zone)) zoneSeconds[zone] = round(Number(item.value[1]));
    }
    const workouts = { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 };
    for (const item of workoutTotals) workouts[item.metric.k as keyof typeof workouts] = round(Number(item.value[1]));
    return {
      user,
      from: requestedFrom,
      to: requestedTo,
      zone_seconds: zoneSeconds,
      last_heart_rate: latest(hrAt, hrValue),
      resting_heart_rate: latest(restAt, restValue),
      workouts,
      last_workout: await this.lastWorkout(user, lastWorkoutAt),
      last_sleep: await this.lastSleep(user, sleepEndAt),
    };
  }

  private async lastWorkout(user: string, startsAt: Vector): Promise<Summary["last_workout"]> {
    const newest = startsAt.toSorted((a, b) => Number(b.value[1]) - Number(a.value[1]))[0];
    if (!newest) return null;
    const end = secondOf(Number(newest.value[1]));
    const type = newest.metric.type ?? "other";
    const at = (metric: string) => this.query(`${metric}{user="${user}",type="${type}"}`, end).then((v) => (v[0] ? Number(v[0].value[1]) : null));
    const [start, duration, avgHr] = await Promise.all([at("workout_start_timestamp_seconds"), at("workout_duration_seconds"), at("workout_avg_heart_rate_bpm")]);
    return { type, name: type, start: start ?? end, end, duration_s: duration ?? 0, avg_heart_rate: avgHr };
  }

  private async lastSleep(user: string, endsAt: Vector): Promise<Summary["last_sleep"]> {
    if (!endsAt[0]) return null;
    const end = Number(endsAt[0].value[1]);
    const [start, stages] = await Promise.all([
      this.query(`sleep_start_timestamp_seconds{user="${user}"}`, end),
      this.query(`sleep_night_stage_seconds{user="${user}"}`, end),
    ]);
    const stageSeconds: Partial<Record<SleepStage, number>> = {};
    for (const item of stages) {
      const stage = item.metric.stage as SleepStage;
      if (SLEEP_STAGES.includes(stage)) stageSeconds[stage] = Number(item.value[1]);
    }
    return { start: start[0] ? Number(start[0].value[1]) : end, end, stage_seconds: stageSeconds };
  }

  async heartRateSeries(user: string, from: number, to: number, stepS: number): Promise<HeartRatePoint[]> {
    const step = Math.max(1, Math.floor(stepS));
    // the last sample of each step, as its own instant and value
    const params = (expr: string) =>
      new URLSearchParams({ query: expr, start: String(from + step), end: String(to), step: `${step}s`, nocache: "1" });
    const range = async (expr: string) => {
      const res = await this.ok(`${this.readUrl}/api/v1/query_range?${params(expr)}`);
      return ((await res.json()) as { data: { result: { values: [number, string][] }[] } }).data.result[0]?.values ?? [];
    };
    const sel = `heart_rate_bpm{user="${user}"}[${step}s]`;
    const [at, values] = await Promise.all([range(`tlast_over_time(${sel})`), range(`last_over_time(${sel})`)]);
    const byTime = new Map(values.map(([t, v]) => [t, Number(v)]));
    const points = at.flatMap(([t, ts]) => (byTime.has(t) ? [{ ts: secondOf(Number(ts)), bpm: byTime.get(t)! }] : []));
    return [...new Map(points.map((p) => [p.ts, p])).values()].filter((p) => p.ts > from && p.ts <= to);
  }

  async ok(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`VictoriaMetrics ${new URL(url).pathname} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res;
  }
}

function emptySummary(user: string): Summary {
  return {
    user,
    from: 0,
    to: 0,
    zone_seconds: emptyZoneSeconds(),
    last_heart_rate: null,
    resting_heart_rate: null,
    workouts: { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 },
    last_workout: null,
    last_sleep: null,
  };
}

/** A stamp s*1000 - 999 + revision, read back as seconds, belongs to second s. */
const secondOf = (t: number) => Math.ceil(t - 1e-6);
const round = (n: number) => Math.round(n * 1000) / 1000;

function latest(at: Vector, values: Vector): { ts: number; bpm: number } | null {
  if (!at.length) return null;
  const newest = at.map((item, i) => ({ item, i })).toSorted((a, b) => Number(b.item.value[1]) - Number(a.item.value[1]))[0]!;
  const key = JSON.stringify(newest.item.metric);
  const value = values.find((v) => JSON.stringify(v.metric) === key) ?? values[newest.i];
  return value ? { ts: secondOf(Number(newest.item.value[1])), bpm: Number(value.value[1]) } : null;
}
