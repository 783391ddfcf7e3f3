// One crediting rule (preferSample) through every path: the hook, replay, import of an export, summarize.
//
// The readings (HR_MAX=200: z2 120–140, z3 140–160, z4 160–180), in arrival order:
//   Watch T0 130, T0+5 130, T0+10 130; Band T0+10 170; then Watch T0+5 150, a revision of T0+5.
// At T0+5 the later Watch reading counts (150, z3); at T0+10 Band counts ("Band" < "Watch"): 170, z4.
// T0 starts the history (0 s); T0+5 earns 5 s of z3, T0+10 5 s of z4. Without the revision: 5 s of z2.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportXml, localDate, record } from "../support/export";
import { hookClient, runReplay, zones } from "../support/hook";
import { startServer, type ServerProcess } from "../support/process";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TOKEN = "crediting-token-0123456789";
const SECRET = "crediting-secret";
const T0 = Math.floor(Date.now() / 60_000) * 60 - 2 * 3600;
const EXPECTED = zones({ z3: 5, z4: 5 });
const READINGS: [number, number, string][] = [
  [T0, 130, "Watch"],
  [T0 + 5, 130, "Watch"],
  [T0 + 10, 130, "Watch"],
  [T0 + 10, 170, "Band"],
  [T0 + 5, 150, "Watch"],
];

const root = mkdtempSync(join(tmpdir(), "fitstack-crediting-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const env = () => ({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: join(root, `data-${++n}`), HR_MAX: "200" });

/** Health Auto Export's shape, one point per reading with its source. */
const haePayload = (readings: [number, number, string][]) =>
  JSON.stringify({
    data: { metrics: [{ name: "heart_rate", units: "count/min", data: readings.map(([ts, bpm, source]) => ({ date: localDate(ts), Min: bpm, Avg: bpm, Max: bpm, source })) }] },
  });

async function withServer<T>(serverEnv: Record<string, string>, fn: (client: ReturnType<typeof hookClient>) => Promise<T>): Promise<T> {
  const server: ServerProcess = await startServer(serverEnv);
  try {
    return await fn(hookClient(() => server, TOKEN, SECRET));
  } finally {
    await server.stop();
  }
}

async function cli(command: string, args: string[], cliEnv: Record<string, string>) {
  const proc = Bun.spawn(["bun", "run", MAIN, command, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...cliEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

test("hook: a revision posted later replaces the reading; at one instant the least source counts; replay rebuilds the same", async () => {
  const serverEnv = env();
  await withServer(serverEnv, async (client) => {
    const first = await client.post(haePayload(READINGS.slice(0, 4)));
    // before the revision: T0+5 130 (z2) 5 s, T0+10 Band 170 (z4) 5 s
    expect([first.status, first.body.zone_seconds_added]).toEqual([200, zones({ z2: 5, z4: 5 })]);
    const revision = await client.post(haePayload(READINGS.slice(4)));
    // the revision moves T0+5's 5 s from z2 to z3
    expect([revision.status, revision.body.accepted_samples, revision.body.zone_seconds_added]).toEqual([200, 1, zones({ z2: -5, z3: 5 })]);
    expect(await client.zones(T0 - 1, T0 + 60)).toEqual(EXPECTED);
  });
  const replay = await runReplay(serverEnv);
  expect(replay.code).toBe(0);
  expect(await withServer(serverEnv, (client) => client.zones(T0 - 1, T0 + 60))).toEqual(EXPECTED);
}, 60_000);

test("hook: the same readings in one payload credit the same", async () => {
  expect(await withServer(env(), async (client) => (await client.post(haePayload(READINGS))).body.zone_seconds_added)).toEqual(EXPECTED);
}, 60_000);

test("import of an export: the later record of one source at one instant counts, as summarize of the export says", async () => {
  const xml = join(root, "export.xml");
  const records = READINGS.map(([ts, bpm, source]) => record({ type: "HeartRate", start: localDate(ts), value: bpm, unit: "count/min", source }));
  writeFileSync(xml, exportXml(records));
  const importEnv = env();
  const imported = await cli("import", [xml], importEnv);
  expect(imported.code).toBe(0);
  expect(await withServer(importEnv, (client) => client.zones(T0 - 1, T0 + 60))).toEqual(EXPECTED);
  const summarized = await cli("summarize", [xml, "--json"], { HR_MAX: "200" });
  expect([summarized.code, JSON.parse(summarized.stdout).summary.zone_seconds]).toEqual([0, EXPECTED]);
}, 60_000);

test("summarize of a payload file credits what the hook credits", async () => {
  const dir = join(root, "summarize");
  rmSync(dir, { recursive: true, force: true });
  await Bun.write(join(dir, "all.json"), haePayload(READINGS));
  const { code, stdout } = await cli("summarize", [dir, "--json"], { HR_MAX: "200" });
  expect([code, JSON.parse(stdout).total.heartRate.zoneSeconds]).toEqual([0, EXPECTED]);
}, 60_000);
