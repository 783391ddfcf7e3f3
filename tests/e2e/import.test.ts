// `fitstack import` as a child process: exit codes and reports, a real server running on the same DATA_DIR
// (posts answered meanwhile, a SIGKILL mid-import, the re-run, replay), on both stores.
//
// Numbers (HR_MAX=200: z1 < 120 ≤ z2 < 140 ≤ z3 < 160 bpm): the generated export is N heart-rate samples
// 5 s apart at 150 bpm (z3): (N−1)·5 s of z3, the first sample earning nothing as it starts the history.
// Each hook block is fixtureBlock(start, 100, 121): 121 samples at 100/101 bpm (z1), more than 10 s after
// anything else: 10 s for its first sample + 120·5 s = 610 s of z1, whatever arrived first.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKEN_DTD, exportXml, heartRateRecords, makeZip, record } from "../support/export";
import { fixtureBlock, hookClient, runReplay } from "../support/hook";
import { startServer, waitFor, type ServerProcess } from "../support/process";
import { onBothStores } from "../support/vm";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TOKEN = "import-token-0123456789abcdef";
const SECRET = "import-secret";
const DAY = 86400;
// whole minutes, 20 days back: the export's history, well before the hook blocks (3 h back)
const HISTORY = Math.floor(Date.now() / 60_000) * 60 - 20 * DAY;
const RECENT = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;

const root = mkdtempSync(join(tmpdir(), "fitstack-import-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, String(++n));

function spawnImport(env: Record<string, string>, args: string[]) {
  return Bun.spawn(["bun", "run", MAIN, "import", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function runImport(env: Record<string, string>, args: string[]) {
  const proc = spawnImport(env, args);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

async function writeZip(name: string, xml: string, xmlName = "apple_health_export/export.xml") {
  const path = join(root, name);
  await Bun.write(path, makeZip([{ name: xmlName, data: xml }, { name: "apple_health_export/workout-routes/route_2024-01-01_8.00am.gpx", data: "<gpx/>" }]));
  return path;
}

/** Days of heart rate the ledger holds (its samples are packed per day): > 0 once a first batch is merged. */
function heldDays(dataDir: string): number {
  const path = join(dataDir, "ledger.sqlite");
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM hr_day").get()!.n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe("fitstack import: input and exit codes", () => {
  const env = () => ({ DATA_DIR: fresh() });

  test("neither a zip nor an export: one line, exit 2; usage errors: exit 2", async () => {
    const text = join(root, "notes.txt");
    await Bun.write(text, "just some notes\n");
    for (const args of [[text], [], [text, "--since", "2024-1-1"], [text, "--frobnicate"]]) {
      const { code, stdout, stderr } = await runImport(env(), args);
      expect({ code, stdout, lines: stderr.trim().split("\n").length }).toEqual({ code: 2, stdout: "", lines: 1 });
      expect(stderr).not.toContain("    at ");
    }
    const { stderr } = await runImport(env(), [text]);
    expect(stderr).toBe(`fitstack import: ${text} is neither a zip nor a HealthKit export (export.xml)\n`);
  }, 30_000);

  test("DATA_DIR unusable (a file): one line, exit 1, no stack trace", async () => {
    const notADir = join(root, "plain-file");
    await Bun.write(notADir, "x");
    const path = await writeZip("small.zip", exportXml(heartRateRecords(HISTORY, 3, 5, () => 150)));
    const { code, stderr } = await runImport({ DATA_DIR: notADir }, [path]);
    expect({ code, lines: stderr.trim().split("\n").length, stack: stderr.includes("    at ") }).toEqual({ code: 1, lines: 1, stack: false });
    expect(stderr).toStartWith("fitstack import: ");
  }, 30_000);

  test("a localised name, the iOS 16 DTD, __MACOSX entries: found by content and imported whole", async () => {
    const xml = exportXml([...heartRateRecords(HISTORY, 100, 5, () => 150), record({ type: "RestingHeartRate", start: "2024-01-01 08:00:00 +0000", value: 52, unit: "count/min" })], BROKEN_DTD);
    const path = join(root, "导出.zip");
    await Bun.write(
      path,
      makeZip(
        [
          { name: "apple_health_export/export_cda.xml", data: '<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"/>' },
          { name: "apple_health_export/导出.xml", data: xml },
          { name: "__MACOSX/apple_health_export/._导出.xml", data: "\u0000\u0005\u0016\u0007 AppleDouble" },
        ],
        { dataDescriptors: true },
      ),
    );
    const dataDir = fresh();
    const { code, stdout } = await runImport({ DATA_DIR: dataDir }, [path, "--json"]);
    const report = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(report.file).toBe(`${dataDir}/imports/${readdirSync(join(dataDir, "imports")).find((f) => f.endsWith(".zip"))}:apple_health_export/导出.xml`);
    expect(report.types.heart_rate).toEqual({ read: 100, imported: 100, held: 0, skipped: {}, from: HISTORY, to: HISTORY + 495 });
    expect(report.types.hae_resting_heart_rate).toMatchObject({ read: 1, imported: 1 });
    expect(report.notImported).toEqual({ cda_document: 1, mac_metadata: 1, "<Me>": 1 });
    expect(report.complete).toBe(true);
  }, 30_000);

  test("a zip cut short: everything before the damage is imported, the report says where it stopped, exit 1", async () => {
    const whole = await Bun.file(await writeZip("whole.zip", exportXml(heartRateRecords(HISTORY, 20_000, 5, () => 150)))).bytes();
    const cut = join(root, "cut.zip");
    await Bun.write(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const { code, stdout } = await runImport({ DATA_DIR: fresh() }, [cut]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/stopped early at byte \d+ \(last record \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000\): .*everything before it was imported/);
    const imported = Number(/heart_rate\s+(\d+)\s+(\d+)/.exec(stdout)![2]);
    expect(imported).toBeGreaterThan(1000);
    expect(imported).toBeLessThan(20_000);
  }, 30_000);

  test("summarize reads an export.zip: what an import would bring, zone time included, nothing kept", async () => {
    const dataDir = fresh();
    // 13 samples 5 s apart at 150 bpm: 12 × 5 = 60 s of z3; a StepCount from the watch
    const path = await writeZip("look.zip", exportXml([...heartRateRecords(HISTORY, 13, 5, () => 150), record({ type: "StepCount", start: "2024-01-01 08:05:00 +0000", value: 120, unit: "count" })]));
    const proc = Bun.spawn(["bun", "run", MAIN, "summarize", path, "--json"], { env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.import.types.heart_rate).toMatchObject({ read: 13, imported: 13 });
    expect(result.import.types.hae_step_count).toMatchObject({ read: 1, imported: 1, from: 1704096000 });
    expect(result.summary.zone_seconds).toEqual({ z1: 0, z2: 0, z3: 60, z4: 0, z5: 0 });
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);

  test("--dry-run keeps nothing and writes nothing; --help", async () => {
    const dataDir = fresh();
    const path = await writeZip("dry.zip", exportXml(heartRateRecords(HISTORY, 10, 5, () => 150)));
    const { code, stdout } = await runImport({ DATA_DIR: dataDir }, [path, "--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toContain("import (dry run, nothing written)");
    expect(stdout).toMatch(/heart_rate\s+10\s+10\s+0/);
    expect(stdout).toContain("not imported: 1 workout_routes, 1 <Me>");
    expect(existsSync(join(dataDir, "imports"))).toBe(false);
    expect(heldDays(dataDir)).toBe(0);
    const help = await runImport({}, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: fitstack import PATH");
  }, 30_000);
});

onBothStores((store, extraEnv) => {
  describe(`fitstack import beside a running serve (${store})`, () => {
    test("posts answered during the import, SIGKILL mid-import, the re-run completes it once, replay gives the same totals", async () => {
      const N = 60_000;
      const path = await writeZip(`big-${store}.zip`, exportXml(heartRateRecords(HISTORY, N, 5, () => 150)));
      const dataDir = fresh();
      const env = { DATA_DIR: dataDir, AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, ...extraEnv() };
      let server: ServerProcess = await startServer(env);
      const client = hookClient(() => server, TOKEN, SECRET);
      try {
        // killed once its first batches are in the ledger
        const doomed = spawnImport(env, [path]);
        await waitFor(() => heldDays(dataDir) > 0 || doomed.exitCode !== null, 30_000, "the first import batch");
        doomed.kill("SIGKILL");
        await doomed.exited;
        expect(doomed.signalCode).toBe("SIGKILL");

        // the re-run, with posts arriving meanwhile
        const rerun = runImport(env, [path]);
        const replies = [];
        for (let i = 0; i < 4; i++) replies.push(await client.post(fixtureBlock(RECENT + i * 1200, 100, 121)));
        const { code, stdout, stderr } = await rerun;
        expect({ code, stderr: stderr.includes("database is locked") }).toEqual({ code: 0, stderr: false });
        // 200 delivered, or 202 kept (raw log + ledger) while the import holds the delivery: never an error
        expect(replies.map((r) => (r.status === 200 || r.status === 202 ? "2xx" : r.status))).toEqual(["2xx", "2xx", "2xx", "2xx"]);
        // what the killed run merged is already held; the rest is imported now; together every record once
        const [, read, imported, held] = /heart_rate\s+(\d+)\s+(\d+)\s+(\d+)/.exec(stdout)!.map(Number);
        expect({ read, sum: imported! + held!, someHeld: held! > 0 }).toEqual({ read: N, sum: N, someHeld: true });

        const expected = { z1: 4 * 610, z2: 0, z3: (N - 1) * 5, z4: 0, z5: 0 };
        const range = [HISTORY - DAY, RECENT + DAY] as const;
        await waitFor(async () => JSON.stringify(await client.zones(...range)) === JSON.stringify(expected), 30_000, "the summary to show the import and the posts");

        // importing the same file again changes nothing
        const again = await runImport(env, [path]);
        expect(again.stdout).toContain("nothing new: everything in this export was already held");
        expect(await client.zones(...range)).toEqual(expected);

        // replay rebuilds the same numbers from the raw log and the kept import
        await server.stop();
        const replay = await runReplay(env);
        expect(replay.code).toBe(0);
        expect(replay.stdout).toContain("re-read 1 kept import(s)");
        server = await startServer(env);
        await waitFor(async () => JSON.stringify(await client.zones(...range)) === JSON.stringify(expected), 30_000, "the replayed summary");
      } finally {
        await server.stop();
      }
    }, 120_000);
  });
});
