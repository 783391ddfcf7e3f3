// Issue #16's randomized late/overlap/revision check at 10 M samples, on both stores: a raw log of four years
// (inside VM's 5-year retention) of heart rate from four sources with late entries, overlapping windows, repeats
// and revisions, rebuilt by `replay`; a tail of the same kinds (and a fifth source) sent to the real server over
// HTTP; then ~50 ranges through /api/summary, local days around each DST change (USER_TZ=Europe/Berlin) through
// /api/load and, on VictoriaMetrics, the zone counters read raw, each compared exactly with one transform over
// the union. SCALE_CHECK_TAIL and SCALE_CHECK_SEED change the tail's size and the seed.
//   bun run bench/scale-check.ts                      # 10 M samples
//   SCALE_CHECK_SAMPLES=200000 bun run bench/scale-check.ts
// Exits 1 when any answer differs (they are listed on stderr).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInstants, checkStore, copyRawLog, type StoreCheck } from "../tests/support/history-check";
import { applyTail, pickRanges, reference, tailPayloads, totalsAt, writeHistory } from "../tests/support/random-history";
import { startVm, vmUnavailable } from "../tests/support/vm";

const SAMPLES = Number(process.env.SCALE_CHECK_SAMPLES ?? 10_000_000);
const RANGES = 50;
const TAIL = Number(process.env.SCALE_CHECK_TAIL ?? 120);
/** The tail stays in the last days: on VM a late sample rewrites every later total (see src/store/vm.ts). */
const TAIL_DAYS = 14;
const SEED = Number(process.env.SCALE_CHECK_SEED ?? 2016);

const seconds = (since: number) => (performance.now() - since) / 1000;
const lastDay = Math.floor(Date.now() / 86_400_000) - 2;
const rawDir = mkdtempSync(join(tmpdir(), "fitstack-scale-check-"));
let started = performance.now();
const history = writeHistory(rawDir, SAMPLES, lastDay, SEED);
const writeS = seconds(started);
const rawSamples = history.samples.length;
const tail = tailPayloads(history, TAIL, TAIL_DAYS, SEED + 1);
applyTail(history, tail);
started = performance.now();
const ref = reference(history.samples, Math.floor(Date.now() / 1000));
const ranges = pickRanges(ref, RANGES, SEED + 2);
const totals = totalsAt(ref, checkInstants(ranges, ref));
const referenceS = seconds(started);

const checks: StoreCheck[] = [];
// each store gets its own copy: the server appends the tail to its raw log
const sqliteDir = copyRawLog(rawDir);
checks.push(await checkStore({ dataDir: sqliteDir, history, tail, ref, ranges, totals }));
rmSync(sqliteDir, { recursive: true, force: true });
const skipVm = vmUnavailable();
if (!skipVm) {
  const vm = await startVm();
  const vmDir = copyRawLog(rawDir);
  try {
    checks.push(await checkStore({ dataDir: vmDir, vmUrl: vm.url, history, tail, ref, ranges, totals }));
  } finally {
    await vm.stop();
    rmSync(vmDir, { recursive: true, force: true });
  }
}
rmSync(rawDir, { recursive: true, force: true });

const tailSamples = tail.reduce((n, p) => n + p.index.length, 0);
const kinds = new Map<string, number>();
for (const r of ranges) {
  const kind = r.kind.replace(/ \d{4}.*| over .*/, "");
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
}
const { late, overlapping, repeated, revisions } = history.twists;
console.log(
  `${(history.samples.length / 1e6).toFixed(2)} M distinct heart-rate samples (${ref.length.toLocaleString("en")} timeline instants after same-instant preference), ` +
    `${history.lastDay - history.firstDay + 1} days from ${new Date(history.firstDay * 86_400_000).toISOString().slice(0, 10)}; ` +
    `raw log: ${history.rawEntries.toLocaleString("en")} entries, ${(rawSamples / 1e6).toFixed(2)} M samples, of them ${late} days late, ${overlapping} split in overlapping windows, ${repeated} sent twice, ${revisions} revisions; ` +
    `tail over HTTP: ${tail.length} payloads (${tailSamples.toLocaleString("en")} samples, half HAE JSON) in the last ${TAIL_DAYS} days. ` +
    `Raw log written in ${writeS.toFixed(1)} s; the reference (sort + creditTimeline over the union) in ${referenceS.toFixed(1)} s.\n`,
);
console.log(`Ranges: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}.\n`);
console.log("| store | replay, wall (s) | replay, CPU (s) | tail over HTTP (s) | asking + comparing (s) | /api/summary ranges equal | /api/load local days equal | VM counters read raw, ranges equal |");
console.log("|---|---|---|---|---|---|---|---|");
for (const c of checks) {
  const wrong = (prefix: string) => c.mismatches.filter((m) => m.what.startsWith(prefix)).length;
  const vm = c.store === "victoriametrics" ? `${c.vmSeriesRanges - wrong("VM")} / ${c.vmSeriesRanges}` : "–";
  console.log(`| ${c.store} | ${c.replayS.toFixed(1)} | ${c.replayCpuS.toFixed(1)} | ${c.tailS.toFixed(1)} | ${c.checkS.toFixed(1)} | ${c.ranges - wrong("/api/summary")} / ${c.ranges} | ${c.localDays} days, ${wrong("/api/load")} windows differ | ${vm} |`);
}
if (skipVm) console.log(`\nVictoriaMetrics not checked: ${skipVm}`);
const mismatches = checks.flatMap((c) => c.mismatches.map((m) => ({ store: c.store, ...m })));
for (const m of mismatches.slice(0, 20)) console.error(JSON.stringify(m));
if (mismatches.length) {
  console.log(`\n${mismatches.length} answers differ from the reference`);
  process.exit(1);
}
