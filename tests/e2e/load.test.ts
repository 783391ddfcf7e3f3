// /api/load over HTTP from the real server on both stores, and VM's training_* series matching it, before and after
// a late payload for a day 30 days ago.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localDate } from "../../src/render/format";
import { addDays, startOfLocalDay } from "../../src/trmnl/localTime";
import { startServer, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const TOKEN = "e2e-token-0123456789abcdef";
const SECRET = "e2e-secret";
const TZ = "Europe/Berlin";
const TODAY = localDate(Date.now() / 1000, TZ);
const dayStart = (daysAgo: number) => startOfLocalDay(addDays(TODAY, -daysAgo), TZ);
const date = (daysAgo: number) => addDays(TODAY, -daysAgo);

/** 121 samples 5 s apart from 10:00 local: 600 s in one zone (+10 s when it follows a pause). */
const block = (daysAgo: number, bpm: number) => ({
  type: "heart_rate",
  source: "watch",
  samples: Array.from({ length: 121 }, (_, i) => ({ ts: dayStart(daysAgo) + 36000 + 5 * i, bpm })),
});

/** HAE's daily resting rate and HRV, stamped at local midnight as HAE does, for 25..1 days ago. */
function dailyGauges() {
  const point = (daysAgo: number, qty: number) => {
    const offsetMin = (startOfLocalDay(date(daysAgo), TZ) - Date.parse(`${date(daysAgo)}T00:00:00Z`) / 1000) / -60;
    const sign = offsetMin >= 0 ? "+" : "-";
    const hhmm = `${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, "0")}${String(Math.abs(offsetMin) % 60).padStart(2, "0")}`;
    return { date: `${date(daysAgo)} 00:00:00 ${sign}${hhmm}`, qty, source: "Watch" };
  };
  const days = Array.from({ length: 25 }, (_, i) => 25 - i);
  return {
    data: {
      metrics: [
        { name: "resting_heart_rate", units: "count/min", data: days.map((d) => point(d, d === 1 ? 70 : 50 + (d % 3) * 5)) },
        { name: "heart_rate_variability", units: "ms", data: days.map((d) => point(d, 40 + (d % 4) * 5)) },
      ],
    },
  };
}

const skip = vmUnavailable();
describe.skipIf(!!skip)("training load on both stores", () => {
  let vm: VmProcess;
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    vm = await startVm();
    for (const env of [{}, { VM_URL: vm.url }]) {
      const dataDir = mkdtempSync(join(tmpdir(), "fitstack-load-"));
      dirs.push(dataDir);
      servers.push(await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, USER_TZ: TZ, ...env }));
    }
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await vm?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const postAll = async (body: unknown) => {
    for (const server of servers) {
      const res = await fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
      expect([res.status, ((await res.json()) as any).delivered]).toEqual([200, true]);
    }
    await vm.flush();
  };
  const load = async (server: ServerProcess) => {
    const res = await fetch(`${server.url}/api/load?from=${date(45)}&to=${TODAY}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { days: any[]; weeks: any[] };
  };
  /** VM's training series at each finished day's end (the next local midnight). */
  const series = async (days: any[]) => {
    const at = (metric: string, d: any, labels = "") =>
      vm.query(`${metric}{user="me"${labels}}`, startOfLocalDay(addDays(d.date, 1), TZ)).then((r) => (r[0] ? Number(r[0].value[1]) : null));
    return Promise.all(
      days
        .filter((d) => d.date < TODAY)
        .map(async (d) => ({
          date: d.date,
          trimp: await at("training_trimp", d),
          atl: await at("training_atl", d),
          ctl: await at("training_ctl", d),
          tsb: await at("training_tsb", d),
          rhr: await at("training_rhr_bpm", d),
          rhr_low: await at("training_rhr_baseline_bpm", d, `,bound="low"`),
        })),
    );
  };
  // the series start on the first day with heart rate (40 days ago)
  const expected = (days: any[]) =>
    days
      .filter((d) => d.date < TODAY)
      .map((d) => d.date < date(40) ? { date: d.date, trimp: null, atl: null, ctl: null, tsb: null, rhr: null, rhr_low: null } : ({
        date: d.date,
        trimp: d.trimp,
        atl: d.atl,
        ctl: d.ctl,
        tsb: d.tsb,
        rhr: d.rhr,
        rhr_low: d.rhr_baseline ? Math.round((d.rhr_baseline.mean - d.rhr_baseline.sd) * 1000) / 1000 : null,
      }));

  test("a late payload for 30 days ago moves that day's trimp and every later curve, the same on both stores and in VM's series", async () => {
    await postAll(block(40, 130));
    await postAll(block(1, 150));
    await postAll(dailyGauges());
    const [embedded, onVm] = [await load(servers[0]!), await load(servers[1]!)];
    expect(onVm).toEqual(embedded);
    // 40 days ago is the first day: 600 s z2 → trimp 20; yesterday 610 s z3 (after a pause) → 3 × 610/60 = 30.5
    const day = (report: typeof embedded, daysAgo: number) => report.days.find((d) => d.date === date(daysAgo))!;
    expect([day(embedded, 40).trimp, day(embedded, 40).atl, day(embedded, 40).ctl, day(embedded, 1).trimp]).toEqual([20, 2.857, 0.476, 30.5]);
    // yesterday's resting rate 70 against the 24 days before it (50, 55, 60 repeating): high
    expect(day(embedded, 1).rhr_flag).toBe("high");
    expect(await series(onVm.days)).toEqual(expected(onVm.days));

    await postAll(block(30, 170)); // late: 610 s z4 → trimp 4 × 610/60 = 40.667
    const [embeddedAfter, onVmAfter] = [await load(servers[0]!), await load(servers[1]!)];
    expect(onVmAfter).toEqual(embeddedAfter);
    expect([day(embedded, 30).trimp, day(embeddedAfter, 30).trimp]).toEqual([0, 40.667]);
    for (let daysAgo = 45; daysAgo > 30; daysAgo--) expect(day(embeddedAfter, daysAgo)).toEqual(day(embedded, daysAgo));
    for (let daysAgo = 30; daysAgo >= 0; daysAgo--) expect(day(embeddedAfter, daysAgo).ctl).toBeGreaterThan(day(embedded, daysAgo).ctl);
    expect(await series(onVmAfter.days)).toEqual(expected(onVmAfter.days));
  }, 60_000);

  test("every training panel of the Grafana dashboard, queried as Grafana does (daily steps), shows /api/load's numbers", async () => {
    const dashboard = (await Bun.file(new URL("../../deploy/grafana/dashboards/fitstack.json", import.meta.url)).json()) as { panels: any[] };
    const report = await load(servers[1]!);
    const byDate = new Map(report.days.map((d) => [d.date, d]));
    // the week so far, by hand: (z2 + z3) + 2 × (z4 + z5) minutes since Monday
    const weekSoFar = new Map<string, number>();
    let total = 0;
    for (const d of report.days) {
      if (new Date(`${d.date}T12:00:00Z`).getUTCDay() === 1) total = 0;
      const z = d.zone_seconds;
      total += (z.z2 + z.z3 + 2 * (z.z4 + z.z5)) / 60;
      weekSoFar.set(d.date, Math.round(total * 1000) / 1000);
    }
    const band = (b: { mean: number; sd: number } | null, side: number) => (b ? Math.round((b.mean + side * b.sd) * 1000) / 1000 : undefined);
    const expected: Record<string, (d: any) => number | null | undefined> = {
      training_ctl: (d) => d.ctl,
      training_atl: (d) => d.atl,
      training_tsb: (d) => d.tsb,
      training_trimp: (d) => d.trimp,
      training_week_moderate_minutes: (d) => weekSoFar.get(d.date),
      training_rhr_bpm: (d) => d.rhr ?? undefined,
      'training_rhr_baseline_bpm{user="me",bound="low"}': (d) => band(d.rhr_baseline, -1),
      'training_rhr_baseline_bpm{user="me",bound="high"}': (d) => band(d.rhr_baseline, 1),
      training_hrv_ms: (d) => d.hrv ?? undefined,
      'training_hrv_baseline_ms{user="me",bound="low"}': (d) => band(d.hrv_baseline, -1),
      'training_hrv_baseline_ms{user="me",bound="high"}': (d) => band(d.hrv_baseline, 1),
    };
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).filter((t: any) => t.expr.includes("training_")));
    expect(targets.length).toBe(11);
    const now = Math.floor(Date.now() / 1000);
    for (const target of targets) {
      const query = target.expr.replaceAll("$user", "me");
      const key = Object.keys(expected).find((k) => query.includes(k.includes("{") ? k : `${k}{`))!;
      expect({ query, key }).toEqual({ query, key: expect.any(String) });
      const params = { query, start: String(Math.floor((now - 90 * 86400) / 86400) * 86400), end: String(Math.ceil(now / 86400) * 86400), step: "86400", nocache: "1" };
      const body = (await (await fetch(`${vm.url}/api/v1/query_range?${new URLSearchParams(params)}`)).json()) as any;
      expect(body.status).toBe("success");
      // an evaluation at UTC midnight t sees the point stamped at the Berlin midnight just before it: the day before t
      const shown = new Map<string, number>((body.data.result[0]?.values ?? []).map(([t, v]: [number, string]) => [new Date((t - 86400) * 1000).toISOString().slice(0, 10), Number(v)]));
      const dates = report.days.map((d) => d.date).filter((d) => d >= date(40) && d < TODAY);
      expect({ query, values: dates.map((d) => shown.get(d)) }).toEqual({ query, values: dates.map((d) => expected[key]!(byDate.get(d))) });
    }
  }, 60_000);

  test("other weights or another time zone rewrite the training series whole, with no point left at the old stamps", async () => {
    const { Ledger } = await import("../../src/ledger/ledger");
    const { deliverPending } = await import("../../src/pipeline");
    const { VmStore } = await import("../../src/store/vm");
    const { readLoad } = await import("../../src/load/report");
    const { zoneBoundsBpm } = await import("../../src/transform/zones");
    const stateDir = mkdtempSync(join(tmpdir(), "fitstack-training-"));
    dirs.push(stateDir);
    const ledger = new Ledger(":memory:");
    const bounds = zoneBoundsBpm({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
    const midnightUtc = Math.floor(Date.now() / 1000 / 86400) * 86400;
    // 121 samples at 130 bpm (z2) at 10:00Z three days ago: 600 s, trimp 2 × 10 = 20 with the default weights
    ledger.ingest("w", Array.from({ length: 121 }, (_, i) => ({ ts: midnightUtc - 3 * 86400 + 36000 + 5 * i, bpm: 130, source: "s", device: "" })), bounds);
    const open = (timeZone: string, weights: number[]) =>
      new VmStore({ writeUrl: vm.url, readUrl: vm.url, stateDir, training: { settings: { timeZone, weights, weeklyGoalMin: 150 }, clock: () => new Date() } });
    const points = async () => (await vm.query(`count_over_time(training_trimp{user="w"}[10d])`, Math.floor(Date.now() / 1000)))[0]?.value[1];
    const utc = open("UTC", [0, 2, 3, 4, 5]);
    await deliverPending(ledger, utc);
    await vm.flush();
    expect((await vm.query(`training_trimp{user="w"}`, midnightUtc - 2 * 86400))[0]?.value[1]).toBe("20");
    expect(await points()).toBe("3"); // three days ago, two days ago, yesterday (today's point is stamped tonight)
    await utc.close();

    // Tokyo (+09:00) and plain minutes: the same block falls on the same Tokyo date (19:00 there), trimp 10
    const tokyo = open("Asia/Tokyo", [0, 1, 1, 1, 1]);
    ledger.ingest("w", [{ ts: midnightUtc - 86400 + 36000, bpm: 130, source: "s", device: "" }], bounds);
    await deliverPending(ledger, tokyo);
    await vm.flush();
    const day = new Date((midnightUtc - 3 * 86400) * 1000).toISOString().slice(0, 10);
    const tokyoDayEnd = startOfLocalDay(addDays(day, 1), "Asia/Tokyo");
    expect((await vm.query(`training_trimp{user="w"}`, tokyoDayEnd))[0]?.value[1]).toBe("10");
    // one point per Tokyo day from the block's to today, those ended by now (none left at UTC midnights)
    const now = Math.floor(Date.now() / 1000);
    const { localDays } = await import("../../src/load/report");
    expect(await points()).toBe(String(localDays(day, localDate(now, "Asia/Tokyo"), "Asia/Tokyo").filter((d) => d.end <= now).length));
    const report = await readLoad(tokyo, "w", day, addDays(day, 2), { timeZone: "Asia/Tokyo", weights: [0, 1, 1, 1, 1], weeklyGoalMin: 150 }, ledger.firstTs("w"));
    const shown = await Promise.all(
      report.days.map(async (d) => Number((await vm.query(`training_ctl{user="w"}`, startOfLocalDay(addDays(d.date, 1), "Asia/Tokyo")))[0]?.value[1])),
    );
    expect(shown).toEqual(report.days.map((d) => d.ctl));
    await tokyo.close();
  }, 60_000);
});
