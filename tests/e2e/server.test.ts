// The real server process, over real HTTP, on the embedded store and on a real VictoriaMetrics.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, waitFor, type ServerProcess } from "../support/process";
import { onBothStores, type VmProcess } from "../support/vm";

const TOKEN = "e2e-token-0123456789abcdef";
const SECRET = "e2e-secret";
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
// whole minutes, an hour back: VM hides samples newer than ~30 s from some queries
const T0 = Math.floor(Date.now() / 60_000) * 60 - 3600;

const seedBlock = (start: number, bpm = 130, n = 121) =>
  JSON.stringify({ type: "heart_rate", source: "watch", samples: Array.from({ length: n }, (_, i) => ({ ts: start + 5 * i, bpm: i === n - 1 ? bpm + 1 : bpm })) });

async function post(server: ServerProcess, body: string) {
  const res = await fetch(`${server.url}/hook/${SECRET}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function summary(server: ServerProcess, from: number, to: number) {
  const res = await fetch(`${server.url}/api/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as any;
}

function serverSuite(name: string, extraEnv: () => Record<string, string>, vmCheck?: () => VmProcess) {
  describe(name, () => {
    let server: ServerProcess;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "fitstack-e2e-"));
      server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, ...extraEnv() });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("seed: a 10-minute block at 65 % HRmax is 600 s of z2, in the store and in /api/summary", async () => {
      const first = await post(server, seedBlock(T0));
      expect([first.status, first.body.accepted_samples, first.body.zone_seconds_added.z2, first.body.delivered]).toEqual([200, 121, 600, true]);
      // HAE re-sends overlapping windows: the same block again changes nothing
      const again = await post(server, seedBlock(T0));
      expect([again.body.accepted_samples, again.body.duplicates_dropped]).toEqual([0, 121]);
      const vm = vmCheck?.();
      if (vm) {
        await vm.flush();
        const at = T0 + 600;
        const [z2] = await vm.query('increase(zone_seconds_total{zone="z2"}[1h])', at);
        const [last] = await vm.query("last_over_time(heart_rate_bpm[1h])", at);
        expect([Number(z2!.value[1]), Number(last!.value[1])]).toEqual([600, 131]);
        expect(await vm.counter("vm_rows_invalid_total")).toBe(0);
      }
      await waitFor(async () => (await summary(server, T0 - 60, T0 + 600)).zone_seconds.z2 === 600, 10_000, "summary");
      expect(await summary(server, T0 - 60, T0 + 600)).toEqual({
        user: "me",
        from: T0 - 60,
        to: T0 + 600,
        zone_seconds: { z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 },
        last_heart_rate: { ts: T0 + 600, bpm: 131 },
        resting_heart_rate: null,
        workouts: { count: 0, distance_m: 0, duration_s: 0, active_energy_kcal: 0 },
        last_workout: null,
        last_sleep: null,
      });
    });

    test("a range reaching before 1970-01-02 or far ahead still answers from what is stored", async () => {
      const summaryAll = await summary(server, 0, 99_999_999_999);
      expect([summaryAll.from, summaryAll.to, summaryAll.zone_seconds.z2]).toEqual([0, 99_999_999_999, 600]);
    });

    test("the seam between consecutive syncs counts, and a late payload lands at its true time", async () => {
      // next sync starts 5 s after the first ended: those 5 s are credited (z3 block)
      const next = await post(server, seedBlock(T0 + 605, 150, 13));
      expect(next.body.zone_seconds_added).toEqual({ z1: 0, z2: 0, z3: 65, z4: 0, z5: 0 });
      // a payload from before arrives afterwards: its own 60 s plus 10 s for the first seed sample
      const late = await post(server, seedBlock(T0 - 1200, 185, 13));
      expect(late.body.zone_seconds_added).toEqual({ z1: 0, z2: 10, z3: 0, z4: 0, z5: 60 });
      await waitFor(async () => (await summary(server, T0 - 1800, T0 + 665)).zone_seconds.z5 === 60, 10_000, "summary after late data");
      expect((await summary(server, T0 - 1800, T0 + 665)).zone_seconds).toEqual({ z1: 0, z2: 610, z3: 65, z4: 0, z5: 60 });
      // the earlier window is unchanged by the late data except the seed's own first sample
      expect((await summary(server, T0, T0 + 600)).zone_seconds).toEqual({ z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 });
    });

    test("/health reports the store reachable and no backlog (to a bearer caller; anonymous gets the status only)", async () => {
      const health = (await (await fetch(`${server.url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as any;
      expect([health.status, health.store.reachable, health.backlog.users, health.users.map((u: any) => u.user)]).toEqual(["ok", true, 0, ["me"]]);
      expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok" });
    });

    test("SIGTERM stops it cleanly and a restart still has everything", async () => {
      expect(await server.stop("SIGTERM")).toBe(0);
      server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, ...extraEnv() });
      expect((await summary(server, T0 - 1800, T0 + 665)).zone_seconds).toEqual({ z1: 0, z2: 610, z3: 65, z4: 0, z5: 60 });
      expect(server.output()).not.toContain(TOKEN);
      expect(server.output()).not.toContain(SECRET);
    });
  });
}

onBothStores((store, env, vmOf) => serverSuite(`server on ${store}`, env, vmOf));

describe("body limit", () => {
  test("a Content-Length over MAX_BODY_MB, however large, gets the JSON 413 before the body is read", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fitstack-e2e-"));
    const server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, MAX_BODY_MB: "1" });
    try {
      const body = new Uint8Array(3 * 1024 * 1024).fill(32); // 3 MiB: past MAX_BODY_MB + Bun's own margin
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body });
      expect([res.status, ((await res.json()) as any).error.code]).toEqual([413, "body_too_large"]);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("configuration", () => {
  test("a bad variable stops start-up with one line naming it", async () => {
    const run = (env: Record<string, string>) => {
      const proc = Bun.spawnSync(["bun", "run", MAIN, "serve"], { env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" });
      return { code: proc.exitCode, stderr: proc.stderr.toString().trim() };
    };
    expect(run({ SECRET_PATH: "x" })).toEqual({
      code: 2,
      stderr: "fitstack: config: AUTH_TOKEN: must be set to at least 16 characters (or DEV=1 for local development)",
    });
    expect(run({ AUTH_TOKEN: TOKEN, SECRET_PATH: "x", HR_MAX: "abc" })).toEqual({ code: 2, stderr: 'fitstack: config: HR_MAX: expected a number, got "abc"' });
    expect(run({ AUTH_TOKEN: TOKEN, SECRET_PATH: "x", ZONES_MODE: "zones" }).stderr).toContain("ZONES_MODE");
  }, 30_000);
});
