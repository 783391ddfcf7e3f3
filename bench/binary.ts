// The compiled binaries: size, cold start to first /ping, idle RSS, RSS after a big sync.
// x64 natively; ARM64 under qemu-aarch64 (emulated: times and RSS include qemu, not a Pi's figures).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../tests/support/process";
import { yearOfData } from "./generate";

const ROOT = join(import.meta.dir, "..");
const TOKEN = "bench-token-0123456789";
const QEMU = ["qemu-aarch64", "-L", process.env.QEMU_LD_PREFIX ?? "/usr/aarch64-linux-gnu"];

const rssMb = (pid: number, field: "VmRSS" | "VmHWM") =>
  Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function measureBinary(arch: "x64" | "arm64", syncDays: number) {
  const binary = join(ROOT, "dist", `fitstack-linux-${arch}`);
  if (!existsSync(binary)) throw new Error(`${binary} missing: run bun run build`);
  const prefix = arch === "arm64" ? QEMU : [];
  const starts: number[] = [];
  let idle = 0;
  let afterSync = 0;
  let syncS = 0;
  for (let run = 0; run < 3; run++) {
    const dir = mkdtempSync(join(tmpdir(), "fitstack-binbench-"));
    copyFileSync(binary, join(dir, "fitstack"));
    const started = performance.now();
    const server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: "b", DATA_DIR: join(dir, "data") }, [...prefix, join(dir, "fitstack"), "serve"], dir);
    starts.push(performance.now() - started);
    if (run === 0) {
      await Bun.sleep(1000);
      idle = rssMb(server.proc.pid, "VmRSS");
      const { body } = yearOfData(Math.floor(Date.now() / 1000) - 3600, syncDays);
      const t = performance.now();
      const res = await fetch(`${server.url}/hook/b`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body });
      if (!res.ok) throw new Error(`big sync answered ${res.status}`);
      syncS = (performance.now() - t) / 1000;
      afterSync = rssMb(server.proc.pid, "VmHWM");
    }
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { arch, sizeMb: statSync(binary).size / 1024 / 1024, startMs: median(starts), idleRssMb: idle, syncDays, syncS, peakRssMb: afterSync };
}

if (import.meta.main) {
  const rows = [await measureBinary("x64", 365)];
  if (Bun.which("qemu-aarch64")) rows.push(await measureBinary("arm64", 30));
  console.log("| binary | size (MiB) | cold start to /ping (ms, median of 3) | idle RSS (MB) | big sync | sync time (s) | peak RSS (MB) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const label = r.arch === "arm64" ? "linux-arm64 (qemu, emulated)" : "linux-x64 (native)";
    console.log(`| ${label} | ${r.sizeMb.toFixed(1)} | ${Math.round(r.startMs)} | ${r.idleRssMb} | ${r.syncDays} days per-minute HR | ${r.syncS.toFixed(1)} | ${r.peakRssMb} |`);
  }
}
