// Zone settings that change over time: restart with another HR_MAX, with and without ZONES_FROM, and the server
// re-credits the history by itself; every day then equals one transform per dated profile. Both stores.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HeartRateSample } from "../../src/normalize/model";
import { emptyZoneSeconds, transformBatch, ZONES, type Credit, type ZoneProfile } from "../../src/transform/zones";
import { startServer, waitFor, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const TOKEN = "e2e-token-0123456789abcdef";
const SECRET = "e2e-secret";
const DAY = 86400;
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY; // UTC midnight; USER_TZ is UTC here
const profile = (hrMax: number): ZoneProfile => ({ mode: "max", hrMax, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
// 121 samples 5 s apart at 150 bpm on day A (10 days ago) and day B (2 days ago), from 10:00:
// 150 bpm is z3 at HR_MAX 200 (75 %), z4 at 170 (88 %), z5 at 160 (94 %)
const block = (daysAgo: number): HeartRateSample[] =>
  Array.from({ length: 121 }, (_, i) => ({ ts: TODAY - daysAgo * DAY + 36000 + 5 * i, bpm: 150, source: "watch", device: "" }));
const SAMPLES = [...block(10), ...block(2)];
const EFFECTIVE = TODAY - 5 * DAY;
const effectiveDate = new Date(EFFECTIVE * 1000).toISOString().slice(0, 10);

/** Zone seconds per day (A, B) from credits: one transform per dated profile, each kept where it applies. */
function expected(periods: { from: number; profile: ZoneProfile }[]) {
  const credits: Credit[] = periods.flatMap(({ from, profile }, i) => {
    const until = periods[i + 1]?.from ?? Infinity;
    return transformBatch(SAMPLES, profile, TODAY + DAY).credits.filter((c) => c.ts >= from && c.ts < until);
  });
  return [10, 2].map((daysAgo) => {
    const zones = emptyZoneSeconds();
    for (const c of credits) if (c.ts >= TODAY - daysAgo * DAY && c.ts < TODAY - (daysAgo - 1) * DAY) zones[ZONES[c.zone]!] += c.seconds;
    return zones;
  });
}

const skipVm = vmUnavailable();
const dirs: string[] = [];
let vm: VmProcess | null = null;
afterAll(async () => {
  await vm?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

for (const store of ["embedded", "VictoriaMetrics"] as const) {
  describe.skipIf(store === "VictoriaMetrics" && !!skipVm)(`zones over time (${store})`, () => {
    test("HR_MAX changed with ZONES_FROM keeps the days before it; without, re-credits all; no replay needed", async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "fitstack-zones-"));
      dirs.push(dataDir);
      if (store === "VictoriaMetrics") vm ??= await startVm();
      const env = { AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, USER_TZ: "UTC", ...(store === "VictoriaMetrics" ? { VM_URL: vm!.url } : {}) };
      const perDay = async (server: ServerProcess) => {
        await vm?.flush();
        return Promise.all(
          [10, 2].map(async (daysAgo) => {
            const from = TODAY - daysAgo * DAY - 1;
            const res = await fetch(`${server.url}/api/summary?from=${from}&to=${from + DAY}`, { headers: { authorization: `Bearer ${TOKEN}` } });
            return ((await res.json()) as any).zone_seconds;
          }),
        );
      };
      const restart = async (settings: Record<string, string>) => {
        const server = await startServer({ ...env, ...settings });
        await waitFor(() => server.output().includes("zone settings re-credited"), 30_000, "the re-credit to finish");
        return server;
      };

      let server = await startServer({ ...env, HR_MAX: "200" });
      const samples = SAMPLES.map(({ ts, bpm }) => ({ ts, bpm }));
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ type: "heart_rate", samples }) });
      expect(res.status).toBe(200);
      expect(await perDay(server)).toEqual(expected([{ from: 0, profile: profile(200) }]));
      await server.stop();

      server = await restart({ HR_MAX: "170", ZONES_FROM: effectiveDate });
      expect(server.output()).toContain(`"from":"${effectiveDate}"`);
      // day A keeps z3 (600 s, the very first sample earns nothing); day B is z4 (610 s, its first follows a pause)
      const dated = expected([{ from: 0, profile: profile(200) }, { from: EFFECTIVE, profile: profile(170) }]);
      expect(dated.map((d) => [d.z3, d.z4])).toEqual([[600, 0], [0, 610]]);
      expect(await perDay(server)).toEqual(dated);
      await server.stop();

      // the same settings again: nothing to re-credit
      server = await startServer({ ...env, HR_MAX: "170", ZONES_FROM: effectiveDate });
      expect(await perDay(server)).toEqual(dated);
      expect(server.output()).not.toContain("re-crediting");
      await server.stop();

      server = await restart({ HR_MAX: "160" });
      expect(server.output()).toContain(`"from":"all history"`);
      expect(await perDay(server)).toEqual(expected([{ from: 0, profile: profile(160) }]));
      await server.stop();
    }, 120_000);
  });
}
