// The store contract against a real VictoriaMetrics started with docker-compose.yml's flags.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeContract } from "../../src/store/store.contract";
import { VmStore } from "../../src/store/vm";
import { waitFor } from "../support/process";
import { vmForFile } from "../support/vm";

const shared = vmForFile();
const skip = shared.skip;

storeContract(
  "VictoriaMetrics",
  skip
    ? null
    : {
        open: async (options) =>
          new VmStore({ writeUrl: shared.vm.url, readUrl: shared.vm.url, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")), ...options }),
        settle: () => shared.vm.flush(),
      },
);

describe.skipIf(!!skip)("VictoriaMetrics rebuild", () => {
  test("a rebuild interrupted after the delete is finished by the next delivery, with nothing lost", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { deliverPending } = await import("../../src/pipeline");
    const { zoneBoundsBpm } = await import("../../src/transform/zones");
    // a proxy in front of VM that fails the first import after the first delete_series
    let failNextImport = false;
    let failed = false;
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname.includes("delete_series") && !failed) failNextImport = true;
        else if (url.pathname.endsWith("/api/v1/import") && failNextImport) {
          failNextImport = false;
          failed = true;
          return new Response("injected failure", { status: 503 });
        }
        const body = request.method === "GET" ? undefined : await request.arrayBuffer();
        const res = await fetch(`${shared.vm.url}${url.pathname}${url.search}`, { method: request.method, body });
        return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "text/plain" } });
      },
    });
    try {
      const base = `http://127.0.0.1:${proxy.port}`;
      const store = new VmStore({ writeUrl: base, readUrl: base, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")), maxGeneration: 1 });
      const ledger = new Ledger(":memory:");
      const bounds = zoneBoundsBpm({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
      const t0 = Math.floor(Date.now() / 1000 / 60) * 60 - 86400;
      const block = (start: number, bpm: number) => Array.from({ length: 13 }, (_, i) => ({ ts: start + 5 * i, bpm, source: "w", device: "" }));
      ledger.ingest("rebuild", block(t0 + 3600, 150), bounds);
      await deliverPending(ledger, store);
      // late blocks, each reaching back into written days: generation 1, then a rebuild (interrupted)
      ledger.ingest("rebuild", block(t0 + 1800, 130), bounds);
      await deliverPending(ledger, store);
      ledger.ingest("rebuild", block(t0, 185), bounds);
      await expect(deliverPending(ledger, store)).rejects.toThrow("injected failure");
      await deliverPending(ledger, store);
      await shared.vm.flush();
      // 13 samples each: 12 × 5 s; the two later blocks' first samples follow long pauses: +10 s each
      expect((await store.summary("rebuild", t0 - 60, t0 + 4000)).zone_seconds).toEqual({ z1: 0, z2: 70, z3: 70, z4: 0, z5: 60 });
      await store.close();
    } finally {
      proxy.stop(true);
    }
  }, 60_000);
});

describe.skipIf(!!skip)("VictoriaMetrics stale points", () => {
  test("a gauge point re-sent in another unit leaves no point in the old unit's series; the rest of that series stays", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { deliverPending } = await import("../../src/pipeline");
    const store = new VmStore({ writeUrl: shared.vm.url, readUrl: shared.vm.url, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")) });
    const ledger = new Ledger(":memory:");
    const t = Math.floor(Date.now() / 1000 / 60) * 60 - 86400;
    const rest = (ts: number, value: number, unit: string) => ({ name: "hae_resting_heart_rate", unit, ts, value, source: "Watch" });
    ledger.ingest("units", [], [], undefined, { gauges: [rest(t, 61, "count/min"), rest(t + 60, 60, "count/min")], sleep: [], workouts: [] });
    await deliverPending(ledger, store);
    ledger.ingest("units", [], [], undefined, { gauges: [rest(t + 60, 58, "bpm")], sleep: [], workouts: [] });
    await deliverPending(ledger, store);
    await shared.vm.flush();
    const points = await shared.vm.query(`count_over_time(hae_resting_heart_rate{user="units"}[1h])`, t + 120);
    expect(points.map((p) => [p.metric.unit, p.value[1]]).sort()).toEqual([["bpm", "1"], ["count/min", "1"]]);
    expect(await store.summary("units", t - 60, t + 120)).toMatchObject({ resting_heart_rate: { ts: t + 60, bpm: 58 } });
    await store.close();
  }, 30_000);
});

/** A proxy in front of VM that counts imports, while `down` answers 503 to everything, and can spoil one import line. */
function flakyProxy() {
  const state = { down: false, imports: 0, corruptImports: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/api/v1/import")) state.imports++;
      if (state.down) return new Response("down", { status: 503 });
      let body: string | ArrayBuffer | undefined = request.method === "GET" ? undefined : await request.arrayBuffer();
      if (body && url.pathname.endsWith("/api/v1/import") && state.corruptImports > 0) {
        state.corruptImports--;
        body = new TextDecoder().decode(body).replaceAll(/"values":\[[^,\]]+/g, '"values":[Infinity');
      }
      const res = await fetch(`${shared.vm.url}${url.pathname}${url.search}`, { method: request.method, body });
      return new Response(await res.arrayBuffer(), { status: res.status });
    },
  });
  return Object.assign(state, { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) });
}

describe.skipIf(!!skip)("VictoriaMetrics outage", () => {
  test("while the store is known down, posts only append and merge; the retrier delivers everything once it is back", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { Pipeline } = await import("../../src/pipeline");
    const { RawLog } = await import("../../src/raw/rawlog");
    const { silentLogger } = await import("../../src/log");
    const proxy = flakyProxy();
    const dir = mkdtempSync(join(tmpdir(), "fitstack-outage-"));
    const store = new VmStore({ writeUrl: proxy.url, readUrl: proxy.url, stateDir: dir });
    const ledger = new Ledger(dir);
    const pipeline = new Pipeline({
      ledger,
      store,
      rawLog: new RawLog(dir),
      profileFor: () => ({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] }),
      clock: () => new Date(),
      log: silentLogger,
    });
    const t0 = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;
    // 13 samples 5 s apart at 150 bpm (z3): 60 s, the first after a pause 10 s more
    const block = (start: number) => {
      const heartRate = Array.from({ length: 13 }, (_, i) => ({ ts: start + 5 * i, bpm: 150, source: "w", device: "" }));
      return pipeline.accept(new TextEncoder().encode("{}"), { shape: "fixture", heartRate, gauges: [], sleep: [], workouts: [], ignored: {} }, "outage");
    };
    try {
      expect((await block(t0)).delivered).toBe(true);
      proxy.down = true;
      expect((await block(t0 + 600)).delivered).toBe(false);
      const importsBefore = proxy.imports;
      for (let k = 2; k <= 6; k++) expect((await block(t0 + 600 * k)).delivered).toBe(false);
      // five posts, no delivery attempt of their own (at most one retry of the retrier, which waits >= 0.5 s)
      expect(proxy.imports - importsBefore).toBeLessThanOrEqual(1);
      proxy.down = false;
      await waitFor(() => ledger.backlog().users === 0, 30_000, "the retrier to deliver the backlog");
      await shared.vm.flush();
      // 60 s + 6 × 70 s
      expect((await store.summary("outage", t0 - 60, t0 + 3700)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 480, z4: 0, z5: 0 });
    } finally {
      await pipeline.stop();
      await store.close();
      proxy.stop();
    }
  }, 60_000);
});

describe.skipIf(!!skip)("VictoriaMetrics rejected rows", () => {
  test("an import VM skips a line of (answering 204 and counting it a second later) is delivered again", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { Pipeline } = await import("../../src/pipeline");
    const { RawLog } = await import("../../src/raw/rawlog");
    const { silentLogger } = await import("../../src/log");
    const proxy = flakyProxy();
    const dir = mkdtempSync(join(tmpdir(), "fitstack-rejected-"));
    const store = new VmStore({ writeUrl: proxy.url, readUrl: proxy.url, stateDir: dir });
    const ledger = new Ledger(dir);
    const pipeline = new Pipeline({
      ledger,
      store,
      rawLog: new RawLog(dir),
      profileFor: () => ({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] }),
      clock: () => new Date(),
      log: silentLogger,
    });
    const t0 = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;
    // 13 samples 5 s apart at 150 bpm (z3): 60 s
    const heartRate = Array.from({ length: 13 }, (_, i) => ({ ts: t0 + 5 * i, bpm: 150, source: "w", device: "" }));
    const workouts = [{ id: "R1", name: "Running", start: t0, end: t0 + 60, durationS: 60, distanceKm: 0.2 }];
    try {
      // the zones' import and the workout family's: every line of both skipped by VM
      proxy.corruptImports = 2;
      const reply = await pipeline.accept(new TextEncoder().encode("{}"), { shape: "fixture", heartRate, gauges: [], sleep: [], workouts, ignored: {} }, "rejected");
      expect(reply.delivered).toBe(true);
      const held = async () => {
        await shared.vm.flush();
        const summary = await store.summary("rejected", t0 - 60, t0 + 120);
        return [summary.zone_seconds.z3, summary.workouts.count, summary.workouts.distance_m];
      };
      await waitFor(async () => (await pipeline.recheckStore(), Bun.deepEquals(await held(), [60, 1, 200])), 20_000, "the rejected imports to be delivered again");
    } finally {
      await pipeline.stop();
      await store.close();
      proxy.stop();
    }
  }, 30_000);

  test("a workout with a non-finite distance neither poisons the distance counter nor makes VM skip its line", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { deliverPending } = await import("../../src/pipeline");
    const store = new VmStore({ writeUrl: shared.vm.url, readUrl: shared.vm.url, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")) });
    const ledger = new Ledger(":memory:");
    const t = Math.floor(Date.now() / 1000 / 60) * 60 - 86400;
    const run = (id: string, start: number, distanceKm: number) => ({ id, name: "Running", start, end: start + 1800, durationS: 1800, distanceKm });
    const invalidBefore = await shared.vm.counter("vm_rows_invalid_total");
    ledger.ingest("finite", [], [], undefined, { gauges: [], sleep: [], workouts: [run("A", t, Infinity), run("B", t + 7200, 5)] });
    await deliverPending(ledger, store);
    await shared.vm.flush();
    // A's distance is not a number that can be stored; B's 5 km counts, in a range holding both and in B's alone
    expect((await store.summary("finite", t - 60, t + 9000)).workouts).toEqual({ count: 2, distance_m: 5000, duration_s: 3600, active_energy_kcal: 0 });
    expect((await store.summary("finite", t + 3600, t + 9000)).workouts.distance_m).toBe(5000);
    expect(await shared.vm.counter("vm_rows_invalid_total")).toBe(invalidBefore);
    await store.close();
  }, 30_000);
});
