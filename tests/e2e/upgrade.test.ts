// A DATA_DIR written by the previous build (tests/fixtures/datadir-v4) opens in place with today's server: the same
// answers, and after new posts (a sync after the last instant, a late one inside a held day) exactly what a fresh
// server given every post answers.
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { fixtureBlock } from "../support/hook";
import { startServer, type ServerProcess } from "../support/process";

const FIXTURE = join(import.meta.dir, "../fixtures/datadir-v4");
const TOKEN = "fixture-token-0123456789abcdef";
const SECRET = "fixture-secret";
const T = Date.UTC(2026, 0, 12) / 1000;
const RANGE = `from=${Date.UTC(2025, 11, 1) / 1000}&to=${Date.UTC(2026, 1, 1) / 1000}`;
const HELD = [
  readFileSync(join(import.meta.dir, "../../data_samples/hae-week-2026-01-05.json"), "utf8"),
  fixtureBlock(T + 3600, 130, 121, "watch"),
  fixtureBlock(T + 86_400 - 300, 150, 121, "strap"),
];
// after the last instant held, and late inside the first held day
const NEW = [fixtureBlock(T + 86_400 + 400, 170, 13, "strap"), fixtureBlock(T + 7200, 185, 13, "watch")];

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-upgrade-"));
  dirs.push(dir);
  return dir;
};
const start = (dir: string) => startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, USER_LABEL: "me", DATA_DIR: dir, HR_MAX: "190" });
const post = async (server: ServerProcess, body: string) => {
  const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body });
  expect(res.status).toBe(200);
};
const summary = async (server: ServerProcess) => (await fetch(`${server.url}/api/summary?${RANGE}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();

test("a DATA_DIR of the previous build answers as before, and new posts land exactly as on a fresh server", async () => {
  const dir = dataDir();
  for (const name of ["ledger.sqlite", "metrics.sqlite"]) cpSync(join(FIXTURE, name), join(dir, name));
  let upgraded = await start(dir);
  const fresh = await start(dataDir());
  try {
    expect(await summary(upgraded)).toEqual(JSON.parse(readFileSync(join(FIXTURE, "summary.json"), "utf8")));
    for (const body of NEW) await post(upgraded, body);
    for (const body of [...HELD, ...NEW]) await post(fresh, body);
    const expected = await summary(fresh);
    expect(expected.zone_seconds.z5).toBeGreaterThan(0); // the late block counted
    expect(await summary(upgraded)).toEqual(expected);
    // a restart delivers nothing again and answers the same
    await upgraded.stop();
    upgraded = await start(dir);
    expect(await summary(upgraded)).toEqual(expected);
    expect(upgraded.output()).not.toContain("the store had lost deliveries");
  } finally {
    await upgraded.stop();
    await fresh.stop();
  }
  // the day rows gained their columns in place
  const columns = (file: string) => new Database(join(dir, file)).query<{ name: string }, []>("PRAGMA table_info(hr_day)").all().map((c) => c.name);
  expect(columns("ledger.sqlite")).toContain("mark");
  expect(columns("metrics.sqlite")).toContain("last_ts");
}, 60_000);
