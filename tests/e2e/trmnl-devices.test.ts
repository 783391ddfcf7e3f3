// Per-device output through the real routes (createApp + app.handle on a SqliteStore in a temp DATA_DIR): the format
// each firmware generation's headers get, golden images per model, quiet hours, battery and signal; then the real
// server on a real VictoriaMetrics for the X's image and the trmnl_* metrics.
// Golden images: UPDATE_GOLDEN=1 bun test tests/e2e/trmnl-devices.test.ts, then look at them.
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
import { readPngHeader } from "../../src/render/png1bit";
import { decodePngGrey, greysInRows } from "../../src/render/pngGrey";
import { SqliteStore } from "../../src/store/sqlite";
import { createTrmnl } from "../../src/trmnl/index";
import { startServer, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const TOKEN = "t0ken-for-trmnl-device-tests";
const SECRET = "trmnl-devices-secret";
const GOLDEN = new URL("../golden/", import.meta.url).pathname;
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";
/** Share of pixels allowed to differ from a golden image: room for a font hinting change, not a layout one. */
const GOLDEN_TOLERANCE = 0.002;
const SLOW_MS = 60_000;

// Wednesday 4 March 2026, 14:05 in Berlin (CET, +01) = 13:05Z
const NOW = Date.UTC(2026, 2, 4, 13, 5) / 1000;
const DEVICES = {
  og: "AA:BB:CC:DD:EE:10",
  ogGrey: "AA:BB:CC:DD:EE:11",
  oldOg: "AA:BB:CC:DD:EE:12",
  x: "AA:BB:CC:DD:EE:13",
  xPortrait: "AA:BB:CC:DD:EE:14",
  kindle: "AA:BB:CC:DD:EE:15",
  pi: "AA:BB:CC:DD:EE:16",
};
const haeDate = (ts: number) => new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 19) + " +0000";

/** Four weeks: a training block most days stepping through the zones, 24 h of readings, a resting rate each morning. */
function monthPayloads(now: number): string[] {
  const samples: { ts: number; bpm: number }[] = [];
  for (let ts = now - 86400 + 2; ts < now - 1200; ts += 300) samples.push({ ts, bpm: 56 + Math.round(14 * Math.sin(ts / 7000) ** 2) });
  for (let day = 27; day >= 0; day--) {
    const minutes = [20, 0, 45, 30, 60, 15, 35][day % 7]!;
    const start = day === 0 ? now - 6 * 3600 : now - day * 86400 + 4 * 3600;
    for (let s = 0; s < minutes * 60; s += 5) samples.push({ ts: start + s, bpm: 120 + 10 * Math.floor((4 * s) / (minutes * 60)) + (day % 3) * 8 });
  }
  const resting = Array.from({ length: 28 }, (_, day) => ({ date: haeDate(now - day * 86400 - 6 * 3600), qty: 50 + (day % 5) }));
  return [
    JSON.stringify({ type: "heart_rate", source: "watch", samples: samples.sort((a, b) => a.ts - b.ts) }),
    JSON.stringify({ data: { metrics: [{ name: "resting_heart_rate", units: "count/min", data: resting }] } }),
  ];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-trmnl-devices-"));
  dirs.push(dataDir);
  const config = loadConfig({
    AUTH_TOKEN: TOKEN,
    SECRET_PATH: SECRET,
    DATA_DIR: dataDir,
    TRMNL_TZ: "Europe/Berlin",
    TRMNL_Z2_GOAL_H: "5",
    TRMNL_DEVICES: `${DEVICES.og}, ${DEVICES.ogGrey}:grey, ${DEVICES.oldOg}=me:grey, ${DEVICES.x}, ${DEVICES.xPortrait}:portrait, ${DEVICES.kindle}, ${DEVICES.pi}`,
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
  /** What the device's firmware sends, with its key (from /api/setup, or brought along like trmnl-kindle's). */
  const keys = new Map<string, string>();
  const display = async (mac: string, headers: Record<string, string>) => {
    if (!keys.has(mac)) {
      const setupRes = await get("/api/setup", { ID: mac, "FW-Version": headers["FW-Version"] ?? "1.8.14" });
      keys.set(mac, ((await setupRes.json()) as { api_key: string }).api_key);
    }
    const auth = { ID: mac, "Access-Token": keys.get(mac)! };
    const res = await get("/api/display", { ...headers, ...auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { filename: string; image_url: string; refresh_rate: number };
    const image = await get(new URL(body.image_url).pathname, auth);
    expect([image.status, image.headers.get("content-type")]).toEqual([200, "image/png"]);
    return { ...body, png: new Uint8Array(await image.arrayBuffer()) };
  };
  return { hook, display, clock, renders, dataDir, store };
}

/** Header sets as each firmware generation and client sends them (../shared/reference/trmnl.md G4, G7). */
const SENDS = {
  og_1_8_14: { "FW-Version": "1.8.14", Model: "og", Width: "800", Height: "480", "Battery-Voltage": "4.08", RSSI: "-58" },
  og_1_5_8: { "FW-Version": "1.5.8", Model: "og", Width: "800", Height: "480", "Battery-Voltage": "3.95", RSSI: "-70" },
  x_1_8_14: { "FW-Version": "1.8.14", Model: "x", Width: "1872", Height: "1404", "Battery-Voltage": "3.98", "Percent-Charged": "76", RSSI: "-49" },
  kindle: { "battery-voltage": "3.3", "png-width": "758", "png-height": "1024", rssi: "-51", "User-Agent": "trmnl-display/0.1.1" },
  pi: { "battery-voltage": "100.00", rssi: "0", "User-Agent": "trmnl-display/0.2.0" },
};

function expectGolden(name: string, png: Uint8Array) {
  const path = join(GOLDEN, name);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    if (!UPDATE_GOLDEN) throw new Error(`no golden image ${path}: run UPDATE_GOLDEN=1 bun test tests/e2e/trmnl-devices.test.ts`);
    writeFileSync(path, png);
    return;
  }
  const [actual, golden] = [decodePngGrey(png), decodePngGrey(new Uint8Array(readFileSync(path)))];
  expect([actual.width, actual.height, actual.depth]).toEqual([golden.width, golden.height, golden.depth]);
  let diff = 0;
  for (let p = 0; p < actual.grey.length; p++) if (actual.grey[p] !== golden.grey[p]) diff++;
  const ok = diff <= GOLDEN_TOLERANCE * actual.grey.length;
  if (!ok) writeFileSync(join(tmpdir(), `actual-${name}`), png);
  expect({ name, differingPixels: ok ? "within tolerance" : `${diff} (actual written to ${join(tmpdir(), `actual-${name}`)})` }).toEqual({ name, differingPixels: "within tolerance" });
}

const header = (png: Uint8Array) => {
  const { width, height, bitDepth, colourType, interlace } = readPngHeader(png);
  return `${width}x${height} ${bitDepth}-bit type ${colourType} interlace ${interlace}`;
};

describe("per-device output", () => {
  test(
    "each device gets its format from what it sends and its TRMNL_DEVICES mode; golden images per model",
    async () => {
      const { hook, display, clock } = setup();
      clock.now = NOW - 1200;
      for (const payload of monthPayloads(NOW)) await hook(payload);
      clock.now = NOW;
      const got = {
        og: await display(DEVICES.og, SENDS.og_1_8_14),
        ogGrey: await display(DEVICES.ogGrey, SENDS.og_1_8_14),
        // asks for grey, but firmware before 1.6.0 cannot draw a 2-bit PNG
        oldOg: await display(DEVICES.oldOg, SENDS.og_1_5_8),
        x: await display(DEVICES.x, SENDS.x_1_8_14),
        xPortrait: await display(DEVICES.xPortrait, SENDS.x_1_8_14),
        kindle: await display(DEVICES.kindle, SENDS.kindle),
        pi: await display(DEVICES.pi, SENDS.pi),
      };
      expect(Object.fromEntries(Object.entries(got).map(([name, r]) => [name, header(r.png)]))).toEqual({
        og: "800x480 1-bit type 0 interlace 0",
        ogGrey: "800x480 2-bit type 0 interlace 0",
        oldOg: "800x480 1-bit type 0 interlace 0",
        x: "1872x1404 4-bit type 0 interlace 0",
        xPortrait: "1404x1872 4-bit type 0 interlace 0",
        kindle: "758x1024 8-bit type 0 interlace 0",
        pi: "800x480 1-bit type 0 interlace 0",
      });
      // the OG's limit, the X's fast grey table, the 2-bit levels and the rows the OG counts
      expect([got.og.png.length < 90_000, got.ogGrey.png.length < 90_000, got.x.png.length < 102_400, got.xPortrait.png.length < 102_400]).toEqual([true, true, true, true]);
      const ogGrey = decodePngGrey(got.ogGrey.png);
      expect(greysInRows(ogGrey)).toEqual([0, 0x55, 0xaa, 0xff]);
      expect(greysInRows(ogGrey, 0, 431).length).toBeGreaterThanOrEqual(3);
      expect(greysInRows(decodePngGrey(got.x.png)).every((g) => g % 17 === 0)).toBe(true);
      expectGolden("trmnl-og-grey-800x480.png", got.ogGrey.png);
      expectGolden("trmnl-x-1872x1404.png", got.x.png);
      expectGolden("trmnl-x-1404x1872.png", got.xPortrait.png);
      expectGolden("trmnl-kindle-758x1024.png", got.kindle.png);
      // the OG in 1-bit is the image it has always had: the same bytes the Redirect path serves
      expect(got.og.filename).toBe(got.pi.filename);
    },
    SLOW_MS,
  );

  test(
    "battery and signal are kept per device in DATA_DIR/trmnl/ and the store; a low battery marks the screen",
    async () => {
      const { hook, display, dataDir, store } = setup();
      for (const payload of monthPayloads(NOW)) await hook(payload);
      const healthy = await display(DEVICES.og, SENDS.og_1_8_14);
      const low = await display(DEVICES.og, { ...SENDS.og_1_8_14, "Battery-Voltage": "3.41" });
      await display(DEVICES.pi, SENDS.pi);
      expect(low.filename).not.toBe(healthy.filename);
      const [a, b] = [decodePngGrey(healthy.png), decodePngGrey(low.png)];
      // only the 31x14 mark in the top-right margin changes
      const changed = a.grey.reduce((n, g, p) => n + (g !== b.grey[p] ? 1 : 0), 0);
      expect(changed).toBe(194);
      const kept = JSON.parse(readFileSync(join(dataDir, "trmnl/telemetry.json"), "utf8")).devices;
      const expected = [
        { device: DEVICES.og, ts: NOW, batteryVolts: 3.41, percentCharged: null, rssiDbm: -58 },
        // trmnl-display fakes "100.00" volts and 0 dBm: a voltage outside 2–5 V is not believed, 0 dBm is
        { device: DEVICES.pi, ts: NOW, batteryVolts: null, percentCharged: null, rssiDbm: 0 },
      ];
      expect(Object.values(kept)).toEqual(expected);
      expect(await store.deviceReadings()).toEqual(expected);
    },
    SLOW_MS,
  );

  test(
    "quiet hours: refresh_rate sleeps to 06:30 local, across midnight; the night shows the morning's screen, drawn once",
    async () => {
      // the device pairs at 22:30, 9 h after the server started: a day-long pairing window lets it
      const { hook, display, clock, renders } = setup({ TRMNL_QUIET: "23:00-06:30", TRMNL_PAIR_WINDOW_S: "86400" });
      clock.now = NOW - 1200;
      for (const payload of monthPayloads(NOW)) await hook(payload);
      // 22:30 local (21:30Z): not quiet yet, the usual 900 s
      clock.now = Date.UTC(2026, 2, 4, 21, 30) / 1000;
      const evening = await display(DEVICES.og, SENDS.og_1_8_14);
      // 23:30 local: 7 h to 06:30 local (05:30Z on 5 March)
      clock.now = Date.UTC(2026, 2, 4, 22, 30) / 1000;
      const night = await display(DEVICES.og, SENDS.og_1_8_14);
      const rendersAtNight = renders.count;
      // a poll at 03:00 (a button press): the same image, no render, 3 h 30 m left
      clock.now = Date.UTC(2026, 2, 5, 2) / 1000;
      const three = await display(DEVICES.og, SENDS.og_1_8_14);
      // 06:30: the window is over; the screen is the one shown all night
      clock.now = Date.UTC(2026, 2, 5, 5, 30) / 1000;
      const morning = await display(DEVICES.og, SENDS.og_1_8_14);
      expect([evening.refresh_rate, night.refresh_rate, three.refresh_rate, morning.refresh_rate]).toEqual([900, 7 * 3600, 3.5 * 3600, 900]);
      expect([night.filename === evening.filename, three.filename === night.filename, morning.filename === night.filename]).toEqual([false, true, true]);
      expect(renders.count).toBe(rendersAtNight);
    },
    SLOW_MS,
  );
});

describe("the real server on a real VictoriaMetrics", () => {
  const skip = vmUnavailable();
  let vm: VmProcess;
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    if (skip) return;
    dataDir = mkdtempSync(join(tmpdir(), "fitstack-trmnl-devices-vm-"));
    vm = await startVm();
    server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, VM_URL: vm.url, TRMNL_DEVICES: DEVICES.x, TRMNL_TZ: "Europe/Berlin" });
  }, SLOW_MS);
  afterAll(async () => {
    await server?.stop();
    await vm?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test.skipIf(!!skip)(
    "an X poll gets a 4-bit 1872x1404 image over HTTP, and its battery, charge, signal and time land in VM",
    async () => {
      const { api_key } = (await (await fetch(`${server.url}/api/setup`, { headers: { ID: DEVICES.x, Model: "x", "FW-Version": "1.8.14" } })).json()) as { api_key: string };
      const auth = { ID: DEVICES.x, "Access-Token": api_key };
      const before = Math.floor(Date.now() / 1000);
      const display = (await (await fetch(`${server.url}/api/display`, { headers: { ...SENDS.x_1_8_14, ...auth } })).json()) as { image_url: string };
      const png = new Uint8Array(await (await fetch(display.image_url, { headers: auth })).arrayBuffer());
      expect(header(png)).toBe("1872x1404 4-bit type 0 interlace 0");
      // the metrics are written after the answer: export (raw samples, no query lag) until all four are there
      const exported = async () => {
        await vm.flush();
        const text = await (await fetch(`${vm.url}/api/v1/export?match[]={__name__=~"trmnl_.*"}`)).text();
        return text.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
      };
      let series = await exported();
      for (const deadline = Date.now() + 10_000; series.length < 4 && Date.now() < deadline; ) series = await exported();
      const byName = Object.fromEntries(series.map((s) => [s.metric.__name__, { device: s.metric.device, value: s.values.at(-1)! }]));
      const seen = byName.trmnl_last_seen_timestamp_seconds!.value;
      expect(seen >= before && seen <= Math.ceil(Date.now() / 1000)).toBe(true);
      expect(byName).toEqual({
        trmnl_battery_volts: { device: DEVICES.x, value: 3.98 },
        trmnl_battery_percent: { device: DEVICES.x, value: 76 },
        trmnl_rssi_dbm: { device: DEVICES.x, value: -49 },
        trmnl_last_seen_timestamp_seconds: { device: DEVICES.x, value: seen },
      });
    },
    SLOW_MS,
  );
});
