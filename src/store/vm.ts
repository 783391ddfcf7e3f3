// VictoriaMetrics store. Zone seconds are a cumulative counter per zone, exact under VM's increase():
//  - points sit at every timeline instant for all five zones (plus a "pre-point" one second before an
//    instant that follows a gap > 60 s), so increase() always finds a baseline: VM looks back only window+5m;
//  - counters start at COUNTER_BASE, so VM's first-sample heuristic (#962/#3079) always treats a window's
//    first point as a baseline: every first point without a baseline is a pre-point or the first instant
//    ever, whose value repeats the total before it, so dropping it loses nothing;
//  - a late sample changes every later total, so the tail is rewritten; VM never overwrites a sample, but
//    with -dedup.minScrapeInterval=1s it keeps the largest timestamp of each second (buckets are (s-1, s]),
//    so a rewrite stamps its points at s*1000 - 999 + generation and the newest generation wins.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { ZoneRewrite } from "../ledger/ledger";
import { emptyZoneSeconds, ZONES } from "../transform/zones";
import type { Store, StoreHealth, Summary } from "./store";

export const COUNTER_BASE = 1000;
/** A timeline instant further than this from its predecessor gets a pre-point (VM's lookback is >= 5 min). */
const PREPOINT_GAP_S = 60;
/** Generations fit in the 999 ms below each whole second. */
const MAX_GENERATION = 999;
const POINTS_PER_LINE = 10_000;
export const REQUIRED_DEDUP = "1s";

export interface VmStoreOptions {
  writeUrl: string;
  readUrl: string;
  /** Directory for the writer's small state file (generation and pre-points per user). */
  stateDir: string | ":memory:";
  /** Tests lower this to exercise the compaction path. */
  maxGeneration?: number;
  timeoutMs?: number;
}

interface SeriesState {
  generation: number;
  lastEmitted: number;
}

export class VmStore implements Store {
  readonly kind = "victoriametrics" as const;
  private readonly state: Database;
  private readonly maxGeneration: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: VmStoreOptions) {
    const { stateDir } = options;
    this.state = new Database(stateDir === ":memory:" ? ":memory:" : join(stateDir, "vm-writer.sqlite"), { create: true, strict: true });
    this.state.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    this.state.exec(`
      CREATE TABLE IF NOT EXISTS series (user TEXT PRIMARY KEY, generation INTEGER NOT NULL, last_emitted INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS prepoint (user TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (user, ts)) WITHOUT ROWID;
    `);
    this.maxGeneration = options.maxGeneration ?? MAX_GENERATION;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async writeZones(rewrite: ZoneRewrite, history: () => ZoneRewrite): Promise<void> {
    const { user, since } = rewrite;
    const held = this.seriesState(user);
    const rewritesPast = held !== null && since <= held.lastEmitted;
    let generation = held ? held.generation + (rewritesPast ? 1 : 0) : 0;
    if (generation > this.maxGeneration) {
      await this.compact(user);
      rewrite = history();
      generation = 0;
    }
    const instants = this.instants(rewrite);
    // recorded before writing: a half-done write retried later must still use a newer generation
    this.saveState(user, generation, Math.max(held?.lastEmitted ?? -Infinity, instants.at(-1) ?? -Infinity));
    await this.post("/api/v1/import", importLines(rewrite, instants, generation));
    if (rewritesPast) await this.resetCache();
  }

  /** Sorted instants to stamp: every credit at or after `since` and every pre-point from since-1 on. */
  private instants(rewrite: ZoneRewrite): number[] {
    const { user, since, credits } = rewrite;
    const addPrepoint = this.state.query("INSERT OR IGNORE INTO prepoint (user, ts) VALUES (?, ?)");
    let previous = rewrite.previousTs;
    this.state.transaction(() => {
      for (const c of credits) {
        if (previous === null || c.ts - previous > PREPOINT_GAP_S) addPrepoint.run(user, c.ts - 1);
        previous = c.ts;
      }
    })();
    const prepoints = this.state
      .query<{ ts: number }, [string, number]>("SELECT ts FROM prepoint WHERE user = ? AND ts >= ? ORDER BY ts")
      .all(user, since - 1)
      .map((row) => row.ts);
    return mergeSorted(credits.map((c) => c.ts), prepoints);
  }

  private seriesState(user: string): SeriesState | null {
    const row = this.state
      .query<{ generation: number; last_emitted: number }, [string]>("SELECT generation, last_emitted FROM series WHERE user = ?")
      .get(user);
    return row ? { generation: row.generation, lastEmitted: row.last_emitted } : null;
  }

  private saveState(user: string, generation: number, lastEmitted: number) {
    this.state
      .query("INSERT OR REPLACE INTO series (user, generation, last_emitted) VALUES (?, ?, ?)")
      .run(user, generation, Number.isFinite(lastEmitted) ? lastEmitted : -1);
  }

  /** Deletes the user's series so a rebuild can start again at generation 0. */
  private async compact(user: string) {
    const match = `{__name__=~"zone_seconds_total|heart_rate_bpm",user="${user}"}`;
    // rows still in VM's in-memory buffers escape a delete and would come back: flush them first
    // (single node; a cluster's vmstorage nodes are not reachable through vminsert/vmselect)
    await this.fetchOk(`${origin(this.options.writeUrl)}/internal/force_flush`).catch(() => {});
    await this.fetchOk(`${this.deleteBase()}/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent(match)}`, { method: "POST" });
    this.state.query("DELETE FROM series WHERE user = ?").run(user);
    this.state.query("DELETE FROM prepoint WHERE user = ?").run(user);
  }

  async summary(user: string, from: number, to: number): Promise<Summary> {
    const window = `[${to - from}s]`;
    const [zones, lastTs, lastBpm] = await Promise.all([
      this.query(`increase(zone_seconds_total{user="${user}"}${window})`, to),
      this.query(`tlast_over_time(heart_rate_bpm{user="${user}"}${window})`, to),
      this.query(`last_over_time(heart_rate_bpm{user="${user}"}${window})`, to),
    ]);
    const zoneSeconds = emptyZoneSeconds();
    for (const item of zones) {
      const zone = item.metric.zone as (typeof ZONES)[number];
      if (ZONES.includes(zone)) zoneSeconds[zone] = Math.round(Number(item.value[1]) * 1000) / 1000;
    }
    const last =
      lastTs[0] && lastBpm[0] ? { ts: Math.ceil(Number(lastTs[0].value[1]) - 1e-6), bpm: Number(lastBpm[0].value[1]) } : null;
    return { user, from, to, zone_seconds: zoneSeconds, last_heart_rate: last };
  }

  /** Instant query at `time`, uncached: a backfill must never be answered from VM's rollup cache. */
  async query(expr: string, time: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const params = new URLSearchParams({ query: expr, time: String(time), nocache: "1" });
    const res = await this.fetchOk(`${this.options.readUrl}/api/v1/query?${params}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.data.result;
  }

  async health(): Promise<StoreHealth> {
    try {
      const dedup = await this.dedupInterval();
      if (dedup !== null && dedup !== REQUIRED_DEDUP) {
        return { kind: this.kind, reachable: true, detail: `VictoriaMetrics runs with -dedup.minScrapeInterval=${dedup || "(unset)"}; fitstack needs ${REQUIRED_DEDUP}` };
      }
      await this.fetchOk(`${origin(this.options.writeUrl)}/health`);
      return { kind: this.kind, reachable: true };
    } catch (err) {
      return { kind: this.kind, reachable: false, detail: (err as Error).message };
    }
  }

  /** The dedup flag as VM's /flags page states it ("" when unset), or null when the page isn't there. */
  async dedupInterval(): Promise<string | null> {
    const res = await fetch(`${origin(this.options.readUrl)}/flags`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const match = /-dedup\.minScrapeInterval="([^"]*)"/.exec(await res.text());
    return match ? match[1]! : "";
  }

  async clear(users: string[]): Promise<void> {
    for (const user of users) await this.compact(user);
    await this.resetCache();
  }

  async close(): Promise<void> {
    this.state.close();
  }

  private async resetCache() {
    await this.fetchOk(`${origin(this.options.readUrl)}/internal/resetRollupResultCache`).catch(() => {});
  }

  private deleteBase(): string {
    // cluster: vmselect serves deletes under /delete/<tenant>/prometheus instead of /select/<tenant>/prometheus
    return this.options.readUrl.replace(/\/select\/([^/]+)\/prometheus$/, "/delete/$1/prometheus");
  }

  private async post(path: string, lines: string[]) {
    for (let i = 0; i < lines.length; i += 50) {
      await this.fetchOk(`${this.options.writeUrl}${path}`, { method: "POST", body: lines.slice(i, i + 50).join("\n") + "\n" });
    }
  }

  private async fetchOk(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`VictoriaMetrics ${new URL(url).pathname} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res;
  }
}

function origin(url: string): string {
  return new URL(url).origin;
}

function mergeSorted(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.at(-1) !== next) out.push(next);
  }
  return out;
}

/** /api/v1/import JSON lines: five cumulative zone series over `instants`, and the heart-rate gauge. */
export function importLines(rewrite: ZoneRewrite, instants: number[], generation: number): string[] {
  const { user, credits } = rewrite;
  const totals = ZONES.map((z) => COUNTER_BASE + rewrite.base[z]);
  const zoneValues: number[][] = ZONES.map(() => []);
  let next = 0;
  for (const instant of instants) {
    while (next < credits.length && credits[next]!.ts <= instant) {
      const c = credits[next++]!;
      totals[c.zone]! += c.seconds;
    }
    for (let z = 0; z < ZONES.length; z++) zoneValues[z]!.push(totals[z]!);
  }
  const stamp = (s: number) => s * 1000 - 999 + generation;
  const lines: string[] = [];
  ZONES.forEach((zone, z) => {
    lines.push(...seriesLines({ __name__: "zone_seconds_total", user, zone }, instants, zoneValues[z]!, stamp));
  });
  const hrInstants = credits.map((c) => c.ts);
  lines.push(...seriesLines({ __name__: "heart_rate_bpm", user }, hrInstants, credits.map((c) => c.bpm), stamp));
  return lines;
}

function seriesLines(metric: Record<string, string>, instants: number[], values: number[], stamp: (s: number) => number): string[] {
  const lines: string[] = [];
  const head = `{"metric":${JSON.stringify(metric)},"values":[`;
  for (let i = 0; i < instants.length; i += POINTS_PER_LINE) {
    const end = Math.min(i + POINTS_PER_LINE, instants.length);
    const vs = values.slice(i, end).join(",");
    const ts = instants.slice(i, end).map(stamp).join(",");
    lines.push(`${head}${vs}],"timestamps":[${ts}]}`);
  }
  return lines;
}
