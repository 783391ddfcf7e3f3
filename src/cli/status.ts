// `fitstack status [--json]`: what DATA_DIR (and VictoriaMetrics, if configured) hold, without a running server.
import { existsSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { loadOfflineConfig, type Config } from "../config";
import { Ledger } from "../ledger/ledger";
import { backlogAgeS, rawLogBytes } from "../metrics/collect";
import { knownUsers, ledgerFacts, userFreshness } from "../metrics/freshness";
import { FAILING_SINCE } from "../pipeline";
import { SqliteStore } from "../store/sqlite";
import type { Store, StoreHealth } from "../store/store";
import { VmStore } from "../store/vm";
import { defineCommand, type CliContext, type ParsedArgs } from "./args";
import { retentionDays } from "./runtime";

export const command = defineCommand({
  name: "status",
  summary: `Reads DATA_DIR (and VM_URL / VM_READ_URL when set) without a running server and without AUTH_TOKEN. Prints per
user the last sync, heart-rate samples held, their date range and the days of the last 30 with heart rate in
fewer than COVERAGE_MIN_H (12) local hours (TRMNL_TZ); then the store (reachable, VictoriaMetrics'
-retentionPeriod), the delivery backlog, the raw log's size and the disk space free in DATA_DIR.
Run it as the server's user: SQLite may create its -wal/-shm files beside the ledger.`,
  options: {
    json: { type: "boolean", description: "one JSON document instead of the text" },
  },
  notes: `Exit status: 0 nothing needs attention; 1 something does (listed under "attention": a user with no sync for
STALE_AFTER_H (12), the store unreachable, deliveries failing with a backlog, under 5 % or 1 GiB free in
DATA_DIR, VictoriaMetrics keeping under a year, DATA_DIR missing); 2 a bad option or variable.`,
});

export interface StatusReport {
  data_dir: string;
  checked_at: number;
  users: {
    user: string;
    last_sync: number | null;
    age_s: number | null;
    stale: boolean;
    samples: number;
    first_ts: number | null;
    last_ts: number | null;
    gap_dates: string[];
  }[];
  store: StoreHealth & { url: string | null; retention: string | null };
  backlog: { users: number; oldest_pending: number | null; failing_since: number | null; failing_for_s: number };
  raw_log: { bytes: number };
  disk: { free_bytes: number; total_bytes: number } | null;
  /** One line per thing that needs a look; empty = all good. */
  attention: string[];
}

const LOW_DISK_BYTES = 1024 ** 3;
const LOW_DISK_FRACTION = 0.05;

export async function run(args: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  const report = await statusReport(loadOfflineConfig(ctx.env), ctx.now());
  ctx.out(args.values.json ? JSON.stringify(report, null, 2) + "\n" : statusText(report));
  return report.attention.length ? 1 : 0;
}

export async function statusReport(config: Config, now: number): Promise<StatusReport> {
  const attention: string[] = [];
  const url = config.vmReadUrl;
  const report: StatusReport = {
    data_dir: config.dataDir,
    checked_at: now,
    users: [],
    store: { kind: url ? "victoriametrics" : "sqlite", reachable: false, url, retention: null },
    backlog: { users: 0, oldest_pending: null, failing_since: null, failing_for_s: 0 },
    raw_log: { bytes: rawLogBytes(join(config.dataDir, "raw")) },
    disk: null,
    attention,
  };
  if (!existsSync(config.dataDir)) {
    attention.push(`DATA_DIR ${config.dataDir} does not exist (nothing received yet, or DATA_DIR points elsewhere than the server's)`);
  } else {
    const ledger = new Ledger(config.dataDir);
    try {
      const settings = { staleAfterS: config.staleAfterS, coverageMinH: config.coverageMinH, timeZone: config.trmnl.timeZone };
      for (const user of knownUsers(ledger)) {
        const fresh = userFreshness(ledger, user, now, settings);
        const facts = ledgerFacts(ledger, user);
        report.users.push({ ...fresh, samples: facts.samples, first_ts: facts.firstTs, last_ts: facts.lastTs, gap_dates: fresh.gap_dates });
        if (fresh.stale) attention.push(`${user}: no sync for ${hours(fresh.age_s!)} (STALE_AFTER_H is ${hours(config.staleAfterS)})`);
      }
      const backlog = ledger.backlog();
      const failingSince = Number(ledger.getMeta(FAILING_SINCE) || 0) || null;
      report.backlog = { users: backlog.users, oldest_pending: backlog.oldestPending, failing_since: failingSince, failing_for_s: backlogAgeS(ledger, now) };
      if (backlog.users && failingSince) {
        attention.push(`backlog: ${backlog.users} user(s) not in the store; deliveries failing for ${hours(report.backlog.failing_for_s)}`);
      }
    } finally {
      ledger.close();
    }
    const fs = statfsSync(config.dataDir);
    report.disk = { free_bytes: fs.bavail * fs.bsize, total_bytes: fs.blocks * fs.bsize };
    if (report.disk.free_bytes < LOW_DISK_BYTES || report.disk.free_bytes < LOW_DISK_FRACTION * report.disk.total_bytes) {
      attention.push(`disk: only ${bytes(report.disk.free_bytes)} free in ${config.dataDir}`);
    }
  }
  await checkStore(config, report);
  return report;
}

async function checkStore(config: Config, report: StatusReport) {
  const { attention } = report;
  let store: Store & { retention?: () => Promise<string | null> };
  if (config.vmWriteUrl && config.vmReadUrl) {
    store = new VmStore({ writeUrl: config.vmWriteUrl, readUrl: config.vmReadUrl, stateDir: existsSync(config.dataDir) ? config.dataDir : ":memory:", timeoutMs: 5000 });
  } else if (existsSync(config.dataDir)) {
    store = new SqliteStore(config.dataDir);
  } else {
    report.store.detail = "no DATA_DIR, so no embedded store yet";
    return;
  }
  try {
    Object.assign(report.store, await store.health());
    const { kind, url, reachable, detail } = report.store;
    if (!reachable || detail) attention.push(`store: ${kind}${url ? ` at ${url}` : ""} ${reachable ? "" : "not reachable: "}${detail ?? ""}`.trim());
    if (store instanceof VmStore && report.store.reachable) {
      const retention = await store.retention().catch(() => null);
      report.store.retention = retention === "" ? "1 (month, the default)" : retention;
      if (retention !== null && retentionDays(retention) < 365) {
        attention.push(`store: VictoriaMetrics keeps data ${report.store.retention} (-retentionPeriod); older backfills are dropped (docker-compose.yml keeps 5y)`);
      }
    }
  } finally {
    await store.close();
  }
}

const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;
const utc = (ts: number | null) => (ts === null ? "never" : new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC");

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

export function statusText(r: StatusReport): string {
  const lines = [`fitstack status — DATA_DIR ${r.data_dir}, ${utc(r.checked_at)}`];
  if (!r.users.length) lines.push("users: none yet");
  for (const u of r.users) {
    const range = u.first_ts === null ? "no heart rate" : `${utc(u.first_ts).slice(0, 10)} → ${utc(u.last_ts).slice(0, 10)}`;
    const gaps = u.gap_dates.length ? `${u.gap_dates.length} gap day(s) in the last 30: ${u.gap_dates.join(", ")}` : "no gap days in the last 30";
    const ago = u.age_s === null ? "" : ` (${hours(u.age_s)} ago${u.stale ? ", STALE" : ""})`;
    lines.push(`user ${u.user}: last sync ${utc(u.last_sync)}${ago}; ${u.samples} heart-rate samples, ${range}; ${gaps}`);
  }
  const s = r.store;
  const where = s.url ? ` ${s.url}` : "";
  const retention = s.retention ? `, retention ${s.retention}` : "";
  lines.push(`store: ${s.kind}${where} ${s.reachable ? "reachable" : "NOT reachable"}${s.detail ? ` (${s.detail})` : ""}${retention}`);
  const b = r.backlog;
  lines.push(b.users ? `backlog: ${b.users} user(s) waiting${b.failing_since ? `, deliveries failing since ${utc(b.failing_since)}` : ""}` : "backlog: none");
  lines.push(`raw log: ${bytes(r.raw_log.bytes)}`);
  if (r.disk) lines.push(`disk: ${bytes(r.disk.free_bytes)} free of ${bytes(r.disk.total_bytes)}`);
  lines.push(r.attention.length ? `attention:\n${r.attention.map((a) => `  - ${a}`).join("\n")}` : "all good");
  return lines.join("\n") + "\n";
}
