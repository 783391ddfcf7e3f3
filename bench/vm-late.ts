// What VictoriaMetrics costs for a first delivery of 10^6 held samples and for one late sample behind them
// (issue #19 "VM cost of late data"): points posted, VM rows inserted, our CPU, VM's CPU, wall time.
// `bun run bench/vm-late.ts`; run it in another checkout to compare (it uses only Ledger, VmStore, deliverPending).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger } from "../src/ledger/ledger";
import { deliverPending } from "../src/pipeline";
import { VmStore } from "../src/store/vm";
import { startVm, vmCounters, vmUnavailable } from "../tests/support/vm";

const HELD = Number(process.env.VM_LATE_HELD ?? 1_000_000);
const DAY = 86400;
const bounds = [114, 133, 152, 171];

if (vmUnavailable()) process.exit(0);
const vm = await startVm();
const dir = mkdtempSync(join(tmpdir(), "fitstack-vm-late-"));
try {
  const ledger = new Ledger(dir);
  const store = new VmStore({ writeUrl: vm.url, readUrl: vm.url, stateDir: dir });
  // 10^6 samples 5 s apart (58 days), ending an hour ago; the bpm walks through every zone
  const first = Math.floor((Date.now() / 1000 - 3600 - HELD * 5) / DAY) * DAY + 7;
  for (let i = 0; i < HELD; i += 100_000) {
    const samples = Array.from({ length: Math.min(100_000, HELD - i) }, (_, k) => ({ ts: first + (i + k) * 5, bpm: 60 + (((i + k) * 7) % 120), source: "w", device: "" }));
    ledger.ingest("me", samples, bounds);
  }
  const rows: string[] = [];
  const measure = async (name: string, late: { ts: number; bpm: number } | null) => {
    if (late) ledger.ingest("me", [{ ...late, source: "w", device: "" }], bounds);
    const before = await vmCounters(vm);
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await deliverPending(ledger, store);
    const wallS = (performance.now() - wall) / 1000;
    const used = process.cpuUsage(cpu);
    const after = await vmCounters(vm);
    rows.push(`| ${name} | ${(after.rows - before.rows).toLocaleString("en")} | ${wallS.toFixed(2)} | ${((used.user + used.system) / 1e6).toFixed(2)} | ${(after.cpuS - before.cpuS).toFixed(2)} |`);
  };
  await measure(`first delivery of ${HELD.toLocaleString("en")} held samples (${Math.round((HELD * 5) / DAY)} days)`, null);
  await measure("one late sample at noon of the first held day", { ts: first + 43_200 - 4, bpm: 150 });
  await measure("one late sample 3 days before all held data", { ts: first - 3 * DAY, bpm: 150 });
  console.log(`VM 1.79 on loopback with docker-compose.yml's flags; load average ${(await Bun.file("/proc/loadavg").text()).split(" ")[0]} at the end.\n`);
  console.log("| delivery | VM rows inserted | wall (s) | our CPU (s) | VM's CPU (s) |");
  console.log("|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  await store.close();
  ledger.close();
} finally {
  await vm.stop();
  rmSync(dir, { recursive: true, force: true });
}
