// `import` and `serve` open one DATA_DIR's ledger from two processes: two Ledger instances on one file here.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../ledger/ledger";

const dir = mkdtempSync(join(tmpdir(), "fitstack-two-ledgers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a sample from a source the other instance added meanwhile merges at the same instant, counted once", () => {
  const serve = new Ledger(dir);
  const importer = new Ledger(dir);
  try {
    const bounds = [120, 140, 160, 180];
    const T = 1704067200;
    // 3 samples 5 s apart at 150 bpm (z3): 10 s; the importer's source is new to the `serve` instance
    importer.ingest("me", [0, 5, 10].map((i) => ({ ts: T + i, bpm: 150, source: "Ann’s Apple Watch", device: "" })), bounds);
    const again = serve.ingest("me", [0, 5, 10, 15].map((i) => ({ ts: T + i, bpm: 150, source: "Watch", device: "" })), bounds);
    // the three shared instants are already on the timeline: only T+15 adds 5 s
    expect(again.zoneSecondsAdded).toEqual({ z1: 0, z2: 0, z3: 5, z4: 0, z5: 0 });
    expect(serve.zoneRewrite("me", T).credits.map((c) => c.ts)).toEqual([T, T + 5, T + 10, T + 15]);
  } finally {
    serve.close();
    importer.close();
  }
});
