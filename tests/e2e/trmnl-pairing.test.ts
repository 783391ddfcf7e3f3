// TRMNL pairing windows and failed-attempt limits: createApp + app.handle with a movable clock and a chosen peer
// address, then the real server with `fitstack trmnl pair` run beside it.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { pairDevice } from "../../src/cli/trmnl";
import { loadConfig } from "../../src/config";
import { Ledger } from "../../src/ledger/ledger";
import { createLogger } from "../../src/log";
import { Pipeline } from "../../src/pipeline";
import { RawLog } from "../../src/raw/rawlog";
import { SqliteStore } from "../../src/store/sqlite";
import { clientAddress, FAILED_ATTEMPTS_LIMIT, FAILED_ATTEMPTS_PERIOD_S } from "../../src/trmnl/attempts";
import { createTrmnl } from "../../src/trmnl/index";
import { startServer } from "../support/process";

const TOKEN = "t0ken-for-pairing-tests-0123";
const SECRET = "pairing-secret";
const MAC = "AA:BB:CC:DD:EE:01";
const OTHER_MAC = "AA:BB:CC:DD:EE:02";
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const T0 = Date.UTC(2026, 2, 4, 13, 5);

// each test opens SQLite stores and, once, a real server: room for a machine busy with other work
setDefaultTimeout(30_000);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** One server (app) over a DATA_DIR; `restart` opens a second one over the same directory, as a restart would. */
function setup(dataDir = mkdtempSync(join(tmpdir(), "fitstack-pair-")), clock = { ms: T0 }) {
  dirs.push(dataDir);
  const env = { AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, TRMNL_DEVICES: `${MAC},${OTHER_MAC}`, TRMNL_PAIR_WINDOW_S: "600" };
  const config = loadConfig(env);
  const date = () => new Date(clock.ms);
  const logLines: string[] = [];
  const log = createLogger((line) => logLines.push(line));
  const store = new SqliteStore(dataDir);
  const pipeline = new Pipeline({ ledger: new Ledger(dataDir), store, rawLog: new RawLog(dataDir), profileFor: () => config.zones, clock: date, log });
  const peer = { address: "203.0.113.7" };
  const trmnl = createTrmnl(config, { store, pipeline, clock: date, log, peer: () => peer.address });
  const app = createApp({ config, pipeline, store, clock: date, log, trmnl });
  const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }));
  const setupDevice = (mac = MAC) => get("/api/setup", { ID: mac });
  const display = (key: string, mac = MAC) => get("/api/display", { ID: mac, "Access-Token": key });
  const keyOf = async (res: Response) => ((await res.json()) as { api_key: string }).api_key;
  const pair = (mac = MAC) => pairDevice(config, mac, date());
  return { dataDir, clock, peer, get, setupDevice, display, keyOf, pair, logLines, restart: () => setup(dataDir, clock) };
}

const body = async (res: Response) => ({ status: res.status, body: await res.json() });

test("a never-paired listed MAC gets a key only in the window after start; outside it, setup is 404 as for an unlisted MAC and adoption 401", async () => {
  const s = setup();
  const unlisted = await body(await s.setupDevice("11:22:33:44:55:66"));
  expect(unlisted.status).toBe(404);
  s.clock.ms = T0 + 599_000;
  expect((await s.setupDevice()).status).toBe(200);
  // 600 s after start the window is shut, for setup and for a key brought from elsewhere alike
  s.clock.ms = T0 + 600_000;
  expect(await body(await s.setupDevice(OTHER_MAC))).toEqual(unlisted);
  expect((await s.display("2r--SahjsAKCFksVcped2Q", OTHER_MAC)).status).toBe(401);
  // MAC was set up but never used its key: still not paired, so the key is refused to a second asker too
  expect(await body(await s.setupDevice())).toEqual(unlisted);
});

test("in the window: one key per window, the first use pairs the device and shuts its window; the key keeps working", async () => {
  const s = setup();
  const key = await s.keyOf(await s.setupDevice());
  expect(await s.keyOf(await s.setupDevice(MAC.toLowerCase()))).toBe(key); // a retry gets the same key
  expect((await s.display(key)).status).toBe(200);
  // paired: still inside the 600 s, but nobody else gets a key for that MAC, nor has one adopted
  expect((await s.setupDevice()).status).toBe(404);
  expect((await s.display("attacker-chosen-key-0123")).status).toBe(401);
  // a day later, and after a restart (which opens no window for a paired device), the key still works
  s.clock.ms = T0 + 86_400_000;
  const restarted = s.restart();
  expect((await restarted.display(key)).status).toBe(200);
  expect((await restarted.setupDevice()).status).toBe(404);
  // the other MAC was never paired: the restart opened its window
  expect((await restarted.setupDevice(OTHER_MAC)).status).toBe(200);
});

test("a key brought from another server is adopted only in the window, and then no other", async () => {
  const s = setup();
  expect((await s.display("2r--SahjsAKCFksVcped2Q")).status).toBe(200);
  expect((await s.display("another-key-0123456789")).status).toBe(401);
  expect((await s.setupDevice()).status).toBe(404);
});

test("`trmnl pair MAC` reopens the window of a paired device while the app runs: a new key replaces the old", async () => {
  const s = setup();
  const old = await s.keyOf(await s.setupDevice());
  expect((await s.display(old)).status).toBe(200);
  s.clock.ms = T0 + 3_600_000;
  expect((await s.setupDevice()).status).toBe(404);
  s.pair();
  const fresh = await s.keyOf(await s.setupDevice());
  expect(fresh).not.toBe(old);
  expect([(await s.display(old)).status, (await s.display(fresh)).status]).toEqual([401, 200]);
  expect((await s.setupDevice()).status).toBe(404);
  // the reopened window also admits a key brought from elsewhere, once, and shuts after TRMNL_PAIR_WINDOW_S
  s.pair(OTHER_MAC);
  s.clock.ms += 600_000;
  expect((await s.display("2r--SahjsAKCFksVcped2Q", OTHER_MAC)).status).toBe(401);
  s.pair(OTHER_MAC);
  expect((await s.display("2r--SahjsAKCFksVcped2Q", OTHER_MAC)).status).toBe(200);
  expect(() => s.pair("11:22:33:44:55:66")).toThrow("11:22:33:44:55:66 is not listed in TRMNL_DEVICES");
});

test("failed attempts are limited per address (429 + Retry-After); a paired device's key still works; the log stays bounded", async () => {
  const s = setup();
  const key = await s.keyOf(await s.setupDevice());
  expect((await s.display(key)).status).toBe(200);
  const huge = "x".repeat(12_000);
  const guesses = Array.from({ length: FAILED_ATTEMPTS_LIMIT }, (_, i) => `AA:BB:CC:00:00:${String(i).padStart(2, "0")}`);
  for (const mac of guesses) expect((await s.get("/api/setup", { ID: mac, "FW-Version": huge })).status).toBe(404);
  const limited = await s.setupDevice(OTHER_MAC); // would be 200: OTHER_MAC's window is open
  expect([limited.status, limited.headers.get("retry-after"), ((await limited.json()) as any).error.code]).toEqual([429, String(FAILED_ATTEMPTS_PERIOD_S), "too_many_attempts"]);
  expect((await s.display("wrong-key-wrong-key-0000")).status).toBe(429);
  expect((await s.display("2r--SahjsAKCFksVcped2Q", OTHER_MAC)).status).toBe(429); // no adoption while limited
  expect((await s.display(key)).status).toBe(200);
  for (let i = 0; i < 100; i++) await s.get("/api/display", { ID: huge, "Access-Token": huge, "Battery-Voltage": huge });
  // another address is not affected
  s.peer.address = "198.51.100.9";
  expect((await s.setupDevice(OTHER_MAC)).status).toBe(200);
  // the period over, the first address may try again
  s.peer.address = "203.0.113.7";
  s.clock.ms += FAILED_ATTEMPTS_PERIOD_S * 1000;
  expect((await s.setupDevice("AA:BB:CC:00:00:99")).status).toBe(404);
  // 112 refusals: one line for the first failure of each period, one at the limit; no line carries a 12 KB header
  const refusals = s.logLines.filter((l) => /refused/.test(l));
  expect(refusals.length).toBe(3);
  expect(Math.max(...s.logLines.map((l) => l.length))).toBeLessThan(600);
});

test("the client address: the peer, or the client a local proxy names; headers from a public peer are ignored", () => {
  const headers = new Headers({ "cf-connecting-ip": "198.51.100.1", "x-forwarded-for": "192.0.2.5, 198.51.100.2" });
  expect(clientAddress("172.18.0.4", headers)).toBe("198.51.100.1");
  expect(clientAddress("::1", new Headers({ "x-forwarded-for": "192.0.2.5, 198.51.100.2" }))).toBe("198.51.100.2");
  expect(clientAddress("203.0.113.7", headers)).toBe("203.0.113.7");
  expect(clientAddress("127.0.0.1", new Headers())).toBe("127.0.0.1");
});

test("the real server: `fitstack trmnl pair` run beside it reopens pairing without a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-pair-srv-"));
  dirs.push(dataDir);
  const env = { AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, TRMNL_DEVICES: MAC };
  await using server = Object.assign(await startServer(env), { [Symbol.asyncDispose]() { return server.stop().then(() => {}); } });
  const setupDevice = () => fetch(`${server.url}/api/setup`, { headers: { ID: MAC } });
  const display = (key: string) => fetch(`${server.url}/api/display`, { headers: { ID: MAC, "Access-Token": key } });
  const old = ((await (await setupDevice()).json()) as any).api_key;
  expect((await display(old)).status).toBe(200);
  expect((await setupDevice()).status).toBe(404);
  const pair = Bun.spawnSync(["bun", "run", MAIN, "trmnl", "pair", MAC.toLowerCase()], { env: { PATH: process.env.PATH ?? "", ...env } });
  expect([pair.exitCode, pair.stdout.toString()]).toEqual([0, expect.stringMatching(new RegExp(`^pairing open for ${MAC} until \\d{4}-`))]);
  const fresh = ((await (await setupDevice()).json()) as any).api_key;
  expect([(await display(fresh)).status, (await display(old)).status]).toEqual([200, 401]);
  const usage = Bun.spawnSync(["bun", "run", MAIN, "trmnl", "pair", "11:22:33:44:55:66"], { env: { PATH: process.env.PATH ?? "", ...env } });
  expect([usage.exitCode, usage.stderr.toString()]).toEqual([2, "fitstack trmnl: 11:22:33:44:55:66 is not listed in TRMNL_DEVICES (see fitstack trmnl --help)\n"]);
}, 60_000);
