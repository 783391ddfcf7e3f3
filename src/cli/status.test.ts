import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../ledger/ledger";
import { FAILING_SINCE } from "../pipeline";
import { createLogger } from "../log";
import { parseCommand, UsageError } from "./args";
import { command, run } from "./status";

const at = (iso: string) => Date.parse(iso) / 1000;
const NOW = at("2026-01-31T12:00:00Z");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `fitstack status ARGS` as main.ts runs it: the option table parsed, then run with this environment. */
async function status(args: string[], env: Record<string, string>) {
  let out = "";
  let err = "";
  const ctx = { env, log: createLogger(() => {}), out: (t: string) => (out += t), err: (t: string) => (err += t), now: () => NOW, interactive: false };
  const code = await run(parseCommand(command, args), ctx);
  return { code, out, err };
}

/** A DATA_DIR as the server leaves it: "me" has 13 hourly samples on 01-29 from 06:00 and synced 13 h ago. */
function dataDir(lastSyncAgoS: number) {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-status-"));
  dirs.push(dir);
  const ledger = new Ledger(dir);
  const start = at("2026-01-29T06:00:00Z");
  ledger.ingest("me", Array.from({ length: 13 }, (_, i) => ({ ts: start + 3600 * i, bpm: 70, source: "w", device: "d" })), [120, 140, 160, 180]);
  ledger.setMeta("last_sync:me", String(NOW - lastSyncAgoS));
  for (const { user, since } of ledger.pending()) ledger.delivered(user, since); // the server delivered it
  ledger.close();
  return { dir, start };
}

test("--json: per user, the store, backlog and raw log; a stale user needs attention (exit 1); no AUTH_TOKEN asked", async () => {
  const { dir, start } = dataDir(13 * 3600);
  const { code, out, err } = await status(["--json"], { DATA_DIR: dir });
  const report = JSON.parse(out);
  expect({ code, err, report: { ...report, disk: typeof report.disk.free_bytes } }).toEqual({
    code: 1,
    err: "",
    report: {
      data_dir: dir,
      checked_at: NOW,
      users: [
        {
          user: "me",
          last_sync: NOW - 13 * 3600,
          age_s: 13 * 3600,
          stale: true,
          samples: 13,
          first_ts: start,
          last_ts: start + 12 * 3600,
          // 01-29 has 13 covered hours; 01-30 has none; 01-31 is today
          gap_dates: ["2026-01-30"],
        },
      ],
      store: { kind: "sqlite", reachable: true, url: null, retention: null },
      backlog: { users: 0, oldest_pending: null, failing_since: null, failing_for_s: 0 },
      raw_log: { bytes: 0 },
      disk: "number",
      attention: ["me: no sync for 13.0 h (STALE_AFTER_H is 12.0 h)"],
    },
  });
});

test("text: all good within STALE_AFTER_H (exit 0); failing deliveries with a backlog need attention", async () => {
  const { dir } = dataDir(3600);
  const good = await status([], { DATA_DIR: dir });
  expect(good.code).toBe(0);
  expect(good.out.split("\n").slice(1)).toEqual([
    "user me: last sync 2026-01-31 11:00 UTC (1.0 h ago); 13 heart-rate samples, 2026-01-29 → 2026-01-29; 1 gap day(s) in the last 30: 2026-01-30",
    "store: sqlite reachable",
    "backlog: none",
    "raw log: 0 B",
    expect.stringMatching(/^disk: [\d.]+ \w+ free of [\d.]+ \w+$/),
    "all good",
    "",
  ]);
  const ledger = new Ledger(dir);
  ledger.markPending("me", NOW - 7200);
  ledger.setMeta(FAILING_SINCE, String(NOW - 5400));
  ledger.close();
  const failing = await status(["--json"], { DATA_DIR: dir, STALE_AFTER_H: "2" });
  expect([failing.code, JSON.parse(failing.out).backlog, JSON.parse(failing.out).attention]).toEqual([
    1,
    { users: 1, oldest_pending: NOW - 7200, failing_since: NOW - 5400, failing_for_s: 5400 },
    ["backlog: 1 user(s) not in the store; deliveries failing for 1.5 h"],
  ]);
});

test("the option table: --json only, no operands (main.ts prints a UsageError as one line, exit 2)", () => {
  expect(() => parseCommand(command, ["--jsn"])).toThrow(new UsageError('unknown option "--jsn"'));
  expect(() => parseCommand(command, ["extra"])).toThrow(new UsageError('unexpected argument "extra"'));
  expect(parseCommand(command, ["--json"]).values).toEqual({ json: true });
});
