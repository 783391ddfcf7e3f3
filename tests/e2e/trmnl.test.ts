// The TRMNL routes: createApp + app.handle on a real SqliteStore in a temp DATA_DIR, and once through the real
// server process on a real VictoriaMetrics. Golden images: UPDATE_GOLDEN=1 bun test tests/e2e/trmnl.test.ts
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { Ledger } from "../../src/ledger/ledger";
import { createLogger } from "../../src/log";
import { Pipeline } from "../../src/pipeline";
import { RawLog } from "../../src/raw/rawlog";
import { renderDashboard, type DashboardData, type RenderOptions } from "../../src/render/dashboard";
import { decodePng1Bit, isWhite, readPngHeader } from "../../src/render/png1bit";
import { extremeData } from "../../src/render/sample-data";
import { SqliteStore } from "../../src/store/sqlite";
import { createTrmnl } from "../../src/trmnl/index";
import { startServer, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const TOKEN = "t0ken-for-trmnl-tests-0123";
const SECRET = "trmnl-secret";
const TRMNL_TOKEN = "redirect-token-0123456789";
const MAC = "AA:BB:CC:DD:EE:01";
const OTHER_MAC = "AA:BB:CC:DD:EE:02";
const GOLDEN = new URL("../golden/", import.meta.url).pathname;
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";
/** Pixels allowed to differ from a golden image (0.2 % of 800x480): room for a font hinting change, not a layout one. */
const GOLDEN_TOLERANCE_PX = 768;

// Wednesday 4 March 2026, 14:05 in Berlin (CET, +01) = 13:05Z
const NOW = Date.UTC(2026, 2, 4, 13, 5) / 1000;
const haeDate = (ts: number) => new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) + " +0000";

/** A fixed data set: 24 h of readings every 5 min, six days of training blocks, a run, a night, a resting rate. */
function fixedPayloads(now: number): string[] {
  const samples: { ts: number; bpm: number }[] = [];
  for (let ts = now - 86400 + 2; ts < now - 1200; ts += 300) samples.push({ ts, bpm: 56 + Math.round(14 * Math.sin(ts / 7000) ** 2) });
  // one training block a day, 5 s apart, its bpm stepping through the zones: at 17:05Z, today at 07:05Z
  [20, 0, 45, 30, 60, 15, 35].forEach((minutes, i) => {
    const start = i === 6 ? now - 6 * 3600 : now - (6 - i) * 86400 + 4 * 3600;
    for (let s = 0; s < minutes * 60; s += 5) samples.push({ ts: start + s, bpm: 120 + 10 * Math.floor((4 * s) / (minutes * 60)) + (i % 3) * 8 });
  });
  const runStart = now - 20 * 3600;
  const hae = {
    data: {
      metrics: [
        { name: "resting_heart_rate", units: "count/min", data: [{ date: haeDate(now - 6 * 3600), qty: 52 }] },
        {
          name: "sleep_analysis",
          units: "hr",
          data: [
            {
              date: "2026-03-04",
              totalSleep: 7.25,
              asleep: 0,
              core: 3.75,
              deep: 1.5,
              rem: 2,
              awake: 0.25,
              sleepStart: haeDate(now - 14 * 3600),
              sleepEnd: haeDate(now - 6.5 * 3600),
              inBed: 7.75,
              inBedStart: haeDate(now - 14.25 * 3600),
              inBedEnd: haeDate(now - 6.5 * 3600),
              source: "Watch",
            },
          ],
        },
      ],
      workouts: [
        {
          id: "RUN-1",
          name: "Outdoor Run",
          start: haeDate(runStart),
          end: haeDate(runStart + 2940),
          duration: 2940,
          distance: { qty: 8.1, units: "km" },
          activeEnergyBurned: { qty: 610, units: "kcal" },
          heartRate: { min: { qty: 110, units: "bpm" }, avg: { qty: 151, units: "bpm" }, max: { qty: 178, units: "bpm" } },
          metadata: {},
        },
      ],
    },
  };
  return [JSON.stringify({ type: "heart_rate", source: "watch", samples: samples.sort((a, b) => a.ts - b.ts) }), JSON.stringify(hae)];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-trmnl-"));
  dirs.push(dataDir);
  const config = loadConfig({
    AUTH_TOKEN: TOKEN,
    SECRET_PATH: SECRET,
    DATA_DIR: dataDir,
    TRMNL_TZ: "Europe/Berlin",
    TRMNL_DEVICES: `${MAC}, ${OTHER_MAC.toLowerCase()}=partner`,
    TRMNL_TOKEN,
    ...env,
  });
  const clock = { now: NOW };
  const date = () => new Date(clock.now * 1000);
  const log = createLogger(() => {});
  const store = new SqliteStore(dataDir);
  const pipeline = new Pipeline({ ledger: new Ledger(dataDir), store, rawLog: new RawLog(dataDir), profileFor: () => config.zones, clock: date, log });
  const renders = { count: 0 };
  const render = (data: DashboardData, opts: RenderOptions) => (renders.count++, renderDashboard(data, opts));
  const trmnl = createTrmnl(config, { store, pipeline, clock: date, log, render });
  const app = createApp({ config, pipeline, store, clock: date, log, trmnl });
  const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }));
  const hook = async (body: string) => {
    const res = await app.handle(new Request(`http://localhost/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body }));
    expect(res.status).toBe(200);
  };
  const setupDevice = async (mac = MAC) => (await (await get("/api/setup", { ID: mac, "FW-Version": "1.8.14", Model: "og" })).json()) as any;
  const display = async (apiKey: string, mac = MAC) => get("/api/display", { ID: mac, "Access-Token": apiKey, "Battery-Voltage": "4.1", RSSI: "-60" });
  return { app, get, hook, setupDevice, display, clock, renders, dataDir, trmnl };
}

async function bytes(res: Response) {
  return new Uint8Array(await res.arrayBuffer());
}

function expectDisplayPng(png: Uint8Array, width = 800, height = 480) {
  expect(readPngHeader(png)).toEqual({ width, height, bitDepth: 1, colourType: 0, compression: 0, filter: 0, interlace: 0 });
  expect(png.length).toBeLessThan(90_000);
}

function differingPixels(a: Uint8Array, b: Uint8Array): number {
  const [x, y] = [decodePng1Bit(a), decodePng1Bit(b)];
  if (x.width !== y.width || x.height !== y.height) return Infinity;
  let n = 0;
  for (let row = 0; row < x.height; row++) for (let col = 0; col < x.width; col++) if (isWhite(x, col, row) !== isWhite(y, col, row)) n++;
  return n;
}

function expectGolden(name: string, png: Uint8Array) {
  const path = join(GOLDEN, name);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    if (!UPDATE_GOLDEN) throw new Error(`no golden image ${path}: run UPDATE_GOLDEN=1 bun test tests/e2e/trmnl.test.ts`);
    writeFileSync(path, png);
    return;
  }
  const diff = differingPixels(png, new Uint8Array(readFileSync(path)));
  if (diff > GOLDEN_TOLERANCE_PX) writeFileSync(join(tmpdir(), `actual-${name}`), png);
  expect({ name, differingPixels: diff <= GOLDEN_TOLERANCE_PX ? "within tolerance" : `${diff} (actual written to ${join(tmpdir(), `actual-${name}`)})` }).toEqual({
    name,
    differingPixels: "within tolerance",
  });
}

describe("BYOS device API", () => {
  test("setup: a listed MAC gets a key (the same one again), an unlisted MAC is 404", async () => {
    const { get, setupDevice } = setup();
    const first = await setupDevice();
    expect(first).toEqual({
      status: 200,
      api_key: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      friendly_id: expect.stringMatching(/^[0-9A-F]{6}$/),
      image_url: "http://localhost/trmnl/setup.bmp",
      message: expect.any(String),
    });
    expect(await setupDevice(MAC.toLowerCase())).toEqual(first);
    const unknown = await get("/api/setup", { ID: "11:22:33:44:55:66" });
    expect(unknown.status).toBe(404);
    expect((await get("/api/setup")).status).toBe(404);
    // the setup image: an 800x480 1-bit BMP of 48,062 bytes, the form every firmware takes
    const bmp = await get("/trmnl/setup.bmp");
    const body = await bytes(bmp);
    expect([bmp.status, bmp.headers.get("content-type"), body.length, String.fromCharCode(body[0]!, body[1]!)]).toEqual([200, "image/bmp", 48_062, "BM"]);
  });

  test("keys persist in DATA_DIR: a restarted server knows the device", async () => {
    const first = setup();
    const { api_key } = await first.setupDevice();
    const devices = JSON.parse(readFileSync(join(first.dataDir, "trmnl/devices.json"), "utf8"));
    expect(devices.devices[MAC].api_key).toBe(api_key);
    const again = createTrmnl(loadConfig({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: first.dataDir, TRMNL_DEVICES: MAC }), {
      store: new SqliteStore(":memory:"),
      pipeline: { lastSync: () => null },
      clock: () => new Date(),
      log: createLogger(() => {}),
    });
    expect(again.devices.authenticate(MAC, api_key)?.mac).toBe(MAC);
    expect(again.devices.authenticate(MAC, "wrong-key-wrong-key-0")).toBeNull();
  });

  test("display: status 0, a content-hash filename, an integer refresh rate; wrong or missing token is HTTP 401", async () => {
    const { hook, setupDevice, display, get } = setup();
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    const { api_key } = await setupDevice();
    const res = await display(api_key);
    const body = (await res.json()) as any;
    expect([res.status, body]).toEqual([
      200,
      {
        status: 0,
        image_url: `http://localhost/trmnl/img/${body.filename}`,
        filename: expect.stringMatching(/^fs-[0-9a-f]{16}\.png$/),
        refresh_rate: 900,
        image_url_timeout: 0,
        update_firmware: false,
        firmware_url: "",
        reset_firmware: false,
        special_function: "none",
      },
    ]);
    expect(body.filename.length).toBeLessThanOrEqual(31);
    const image = await get(`/trmnl/img/${body.filename}`, { ID: MAC, "Access-Token": api_key, "Accept-Encoding": "identity" });
    const png = await bytes(image);
    expect([image.status, image.headers.get("content-type"), image.headers.get("content-encoding")]).toEqual([200, "image/png", null]);
    expectDisplayPng(png);
    // the filename is the PNG's own hash
    expect(body.filename).toBe(`fs-${new Bun.CryptoHasher("sha256").update(png).digest("hex").slice(0, 16)}.png`);

    for (const headers of [{ ID: MAC, "Access-Token": "wrong-token-0123456789" }, { ID: MAC }, {}]) {
      const refused = await get("/api/display", headers);
      const text = await refused.text();
      expect(refused.status).toBe(401);
      // never a JSON status the firmware acts on (500 resets it, 202 drains it)
      expect(text).not.toMatch(/"status"|reset_firmware/);
    }
    expect((await get(`/trmnl/img/${body.filename}`)).status).toBe(401);
    expect((await get(`/trmnl/img/${body.filename}`, { ID: MAC, "Access-Token": "wrong-token-0123456789" })).status).toBe(401);
    expect((await get("/trmnl/img/fs-0000000000000000.png", { ID: MAC, "Access-Token": api_key })).status).toBe(404);
    // TRMNL_BASE_URL wins over the Host header
    const based = setup({ TRMNL_BASE_URL: "https://pi.example:8443/" });
    const key = (await based.setupDevice()).api_key;
    expect(((await (await based.display(key)).json()) as any).image_url).toStartWith("https://pi.example:8443/trmnl/img/fs-");
  });

  test("the filename stays while the data does, changes after a hook post, and when the data goes stale", async () => {
    const { hook, setupDevice, display, clock, renders } = setup({ TRMNL_STALE_S: "3600" });
    clock.now = NOW - 1200;
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    clock.now = NOW;
    const { api_key } = await setupDevice();
    const filename = async () => ((await (await display(api_key)).json()) as any).filename as string;
    const first = await filename();
    clock.now = NOW + 15 * 60; // the next wake: nothing new
    expect([await filename(), renders.count]).toEqual([first, 1]);
    clock.now = NOW + 20 * 60;
    await hook(JSON.stringify({ type: "heart_rate", source: "watch", samples: [{ ts: NOW + 600, bpm: 150 }, { ts: NOW + 605, bpm: 152 }] }));
    const afterPost = await filename();
    expect([afterPost === first, renders.count]).toEqual([false, 2]);
    clock.now = NOW + 20 * 60 + 3000; // 50 min after the sync: still fresh
    expect([await filename(), renders.count]).toEqual([afterPost, 2]);
    clock.now = NOW + 20 * 60 + 3700; // over TRMNL_STALE_S: the sync time is drawn reversed
    const stale = await filename();
    expect([stale === afterPost, renders.count]).toEqual([false, 3]);
  });

  test("concurrent polls of unchanged data render once and get identical bytes", async () => {
    const { hook, setupDevice, display, get, renders } = setup();
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    const { api_key } = await setupDevice();
    const bodies = (await Promise.all(Array.from({ length: 5 }, () => display(api_key).then((r) => r.json())))) as any[];
    expect(new Set(bodies.map((b) => b.filename)).size).toBe(1);
    const headers = { ID: MAC, "Access-Token": api_key };
    const [a, b] = await Promise.all([1, 2].map(async () => bytes(await get(`/trmnl/img/${bodies[0].filename}`, headers))));
    expect([Buffer.from(a!).equals(Buffer.from(b!)), renders.count]).toEqual([true, 1]);
  });

  test("a device mapped to another user sees that user's data", async () => {
    const { hook, setupDevice, display } = setup();
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    const mine = ((await (await display((await setupDevice()).api_key)).json()) as any).filename;
    const partners = ((await (await display((await setupDevice(OTHER_MAC)).api_key, OTHER_MAC)).json()) as any).filename;
    expect(partners).not.toBe(mine);
  });

  test("log: both body shapes answer 204 and land in DATA_DIR; a wrong token is 401", async () => {
    const { app, setupDevice, dataDir } = setup();
    const { api_key } = await setupDevice();
    const entry = { created_at: NOW, id: 1, message: "wifi connected", level: "info", wake_reason: "timer", battery_voltage: 4.1 };
    const post = (body: unknown, token = api_key) =>
      app.handle(new Request("http://localhost/api/log", { method: "POST", headers: { ID: MAC, "Access-Token": token, "content-type": "application/json" }, body: JSON.stringify(body) }));
    expect((await post({ logs: [entry] })).status).toBe(204);
    expect((await post({ log: { logs_array: [{ ...entry, id: 2 }, { ...entry, id: 3 }] } })).status).toBe(204);
    expect((await post({ logs: [entry] }, "wrong-token-0123456789")).status).toBe(401);
    expect((await post({ nothing: [] })).status).toBe(422);
    // more than 256 KiB of logs is refused while reading (declared or streamed), never buffered whole
    expect((await post({ logs: Array.from({ length: 3000 }, (_, id) => ({ ...entry, id, message: "x".repeat(100) })) })).status).toBe(413);
    const lines = readFileSync(join(dataDir, "trmnl/device-logs.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.device, l.entry.id, l.entry.message])).toEqual([
      [MAC, 1, "wifi connected"],
      [MAC, 2, "wifi connected"],
      [MAC, 3, "wifi connected"],
    ]);
  });

  test("a listed device that brings a key from another server is adopted instead of being sent to a factory reset", async () => {
    const { display } = setup();
    const res = await display("2r--SahjsAKCFksVcped2Q");
    expect([res.status, ((await res.json()) as any).status]).toEqual([200, 0]);
    // once adopted, another key for that device is refused
    expect((await display("another-key-0123456789")).status).toBe(401);
  });
});

describe("Redirect plugin and plain image", () => {
  test("redirect: filename, a tokenised image URL that serves those bytes, refresh_rate; wrong or missing token 401", async () => {
    const { hook, get } = setup({ TRMNL_REFRESH_S: "1800", TRMNL_BASE_URL: "http://192.168.1.20:8000" });
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    const res = await get(`/trmnl/redirect?token=${TRMNL_TOKEN}`);
    const body = (await res.json()) as any;
    expect(body).toEqual({
      filename: expect.stringMatching(/^fs-[0-9a-f]{16}\.png$/),
      url: `http://192.168.1.20:8000/trmnl/img/${body.filename}?token=${TRMNL_TOKEN}`,
      refresh_rate: 1800,
    });
    const image = await get(new URL(body.url).pathname + new URL(body.url).search);
    expect([image.status, image.headers.get("content-type")]).toEqual([200, "image/png"]);
    expectDisplayPng(await bytes(image));
    expect((await get("/trmnl/redirect")).status).toBe(401);
    expect((await get("/trmnl/redirect?token=wrong-token-0123456789")).status).toBe(401);
    expect((await get(`/trmnl/img/${body.filename}?token=wrong-token-0123456789`)).status).toBe(401);
  });

  test("dashboard.png: ETag, If-None-Match → 304, a new ETag after new data; 401 without the token", async () => {
    const { hook, get, renders } = setup();
    for (const payload of fixedPayloads(NOW)) await hook(payload);
    const first = await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`);
    const etag = first.headers.get("etag")!;
    expect([first.status, first.headers.get("content-type"), etag]).toEqual([200, "image/png", expect.stringMatching(/^"[0-9a-f]{16}"$/)]);
    expectDisplayPng(await bytes(first));
    const unchanged = await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`, { "If-None-Match": etag });
    expect([unchanged.status, await unchanged.text(), unchanged.headers.get("etag"), renders.count]).toEqual([304, "", etag, 1]);
    await hook(JSON.stringify({ type: "heart_rate", source: "watch", samples: [{ ts: NOW - 100, bpm: 160 }, { ts: NOW - 95, bpm: 161 }] }));
    const changed = await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`, { "If-None-Match": etag });
    expect([changed.status, changed.headers.get("etag") === etag]).toEqual([200, false]);
    expect((await get("/trmnl/dashboard.png")).status).toBe(401);
  });

  test("without TRMNL_TOKEN the token routes do not exist", async () => {
    const { get } = setup({ TRMNL_TOKEN: "" });
    expect([(await get(`/trmnl/redirect?token=${TRMNL_TOKEN}`)).status, (await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`)).status]).toEqual([404, 404]);
  });
});

describe("what the display shows", () => {
  test("golden: the fixed data set, landscape and portrait, as the routes serve it", async () => {
    for (const [name, env] of [
      ["trmnl-fixed-800x480.png", {}],
      ["trmnl-fixed-480x800.png", { TRMNL_WIDTH: "480", TRMNL_HEIGHT: "800" }],
    ] as const) {
      const { hook, get, clock } = setup({ ...env, TRMNL_Z2_GOAL_H: "5" });
      clock.now = NOW - 1200;
      for (const payload of fixedPayloads(NOW)) await hook(payload);
      clock.now = NOW;
      const png = await bytes(await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`));
      const { width, height } = readPngHeader(png);
      expectDisplayPng(png, width, height);
      expect(`${width}x${height}`).toBe(name.includes("480x800") ? "480x800" : "800x480");
      expectGolden(name, png);
    }
  });

  test("golden: no data yet (an empty store)", async () => {
    const { get } = setup();
    const png = await bytes(await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`));
    expectDisplayPng(png);
    expectGolden("trmnl-empty-800x480.png", png);
  });

  test("extreme data posted through the hook still fits the OG limit", async () => {
    const { hook, get } = setup();
    // 20 h at 199 bpm every 5 s (all z5), a 3-hour 25..250 bpm saw, and a workout with a very long name
    const samples = Array.from({ length: 14400 }, (_, i) => ({ ts: NOW - 23 * 3600 + 5 * i, bpm: 199 }));
    for (let i = 0; i < 2160; i++) samples.push({ ts: NOW - 3 * 3600 + 5 * i + 2, bpm: i % 2 ? 250 : 25 });
    await hook(JSON.stringify({ type: "heart_rate", source: "watch", samples: samples.sort((a, b) => a.ts - b.ts) }));
    const workout = { id: "X", name: extremeData.lastWorkout!.name, start: haeDate(NOW - 22 * 3600), end: haeDate(NOW - 3600), duration: 75600, metadata: {} };
    await hook(JSON.stringify({ data: { workouts: [workout], metrics: [{ name: "resting_heart_rate", units: "count/min", data: [{ date: haeDate(NOW - 60), qty: 119 }] }] } }));
    const png = await bytes(await get(`/trmnl/dashboard.png?token=${TRMNL_TOKEN}`));
    expectDisplayPng(png);
    writeFileSync(join(tmpdir(), "fitstack-trmnl-extreme.png"), png);
  });
});

describe("the real server on a real VictoriaMetrics", () => {
  const skip = vmUnavailable();
  let vm: VmProcess;
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    if (skip) return;
    dataDir = mkdtempSync(join(tmpdir(), "fitstack-trmnl-vm-"));
    vm = await startVm();
    server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, VM_URL: vm.url, TRMNL_DEVICES: MAC, TRMNL_TZ: "Europe/Berlin", TRMNL_TOKEN });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await vm?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test.skipIf(!!skip)("setup, display and the image over HTTP; a post changes the image", async () => {
    const setupRes = (await (await fetch(`${server.url}/api/setup`, { headers: { ID: MAC } })).json()) as any;
    const headers = { ID: MAC, "Access-Token": setupRes.api_key };
    const poll = async () => (await (await fetch(`${server.url}/api/display`, { headers })).json()) as any;
    const empty = await poll();
    expect(empty.image_url).toBe(`${server.url}/trmnl/img/${empty.filename}`);
    // whole minutes, an hour back: VM hides samples newer than ~30 s from some queries
    const t0 = Math.floor(Date.now() / 60_000) * 60 - 3600;
    const samples = Array.from({ length: 121 }, (_, i) => ({ ts: t0 + 5 * i, bpm: 130 }));
    const hook = await fetch(`${server.url}/hook/${SECRET}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ type: "heart_rate", source: "watch", samples }),
    });
    expect(((await hook.json()) as any).delivered).toBe(true);
    await vm.flush();
    const after = await poll();
    expect(after.filename).not.toBe(empty.filename);
    const image = await fetch(after.image_url, { headers });
    const png = await bytes(image);
    expect([image.status, image.headers.get("content-type")]).toEqual([200, "image/png"]);
    expectDisplayPng(png);
    writeFileSync(join(tmpdir(), "fitstack-trmnl-vm.png"), png);
    // the same image again without a post: the same name
    expect((await poll()).filename).toBe(after.filename);
  }, 60_000);
});
