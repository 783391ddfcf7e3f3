// `fitstack import` of a generated export.zip with unique heart-rate records (~445 bytes each, as the Health
// app writes them: device attribute, motion-context metadata), 1 M and 5 M records, into the embedded store
// and into VictoriaMetrics (fresh, and holding 90 days of per-minute webhook data). Wall time, CPU time and
// peak RSS of the import process (the only process it uses). First the parser alone: the purpose-built
// scanner against saxes (SAXES_MODULE=path/to/saxes.js; skipped when not resolvable) on the same bytes.
// IMPORT_BENCH_SIZES=1000000,5000000 by default; generated zips are cached in $TMPDIR/fitstack-import-bench.
// IMPORT_BENCH_STORES=vm (or sqlite) runs only that store's rows, without the parser comparison.
// IMPORT_BENCH_HELD=0 leaves out the VM row with 90 days of webhook data held; IMPORT_BENCH_RUNS=3 runs each row
// that many times and reports the median wall time (e.g. just VM's fresh 1 M row: SIZES=1000000 STORES=vm HELD=0).
// IMPORT_BENCH_BEFORE=<another checkout's src/main.ts> adds that version's VM fresh rows, runs alternating with these.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDeflateRaw } from "node:zlib";
import { scanHealthXml, type XmlTag } from "../src/import/scanner";
import { openExport } from "../src/import/source";
import { HealthKitAdapter } from "../src/normalize/healthkit";
import { startServer } from "../tests/support/process";
import { startVm, vmCounters, vmUnavailable, type VmProcess } from "../tests/support/vm";

const MAIN = join(import.meta.dir, "../src/main.ts");
const BEFORE = process.env.IMPORT_BENCH_BEFORE;
const RUNS = Number(process.env.IMPORT_BENCH_RUNS ?? 1);
const SIZES = (process.env.IMPORT_BENCH_SIZES ?? "1000000,5000000").split(",").map(Number);
const STORES = (process.env.IMPORT_BENCH_STORES ?? "sqlite,vm").split(",");
const CACHE = join(tmpdir(), "fitstack-import-bench");
const DAY = 86400;
const NOW = Math.floor(Date.now() / 1000);
// history ends 91 days ago, before the 90 days of webhook data
const HISTORY_END = Math.floor((NOW - 91 * DAY) / 60) * 60;

const DEVICE = "&lt;&lt;HKDevice: 0x282a45810&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:9.1&gt;";

function localDate(unix: number): string {
  const iso = new Date((unix + 7200) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0200`;
}

function recordLine(ts: number, bpm: number): string {
  const at = localDate(ts);
  return ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Ann’s Apple Watch" sourceVersion="9.1" device="${DEVICE}" unit="count/min" creationDate="${at}" startDate="${at}" endDate="${at}" value="${bpm}">\n  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n </Record>\n`;
}

/** Streams a zip with one deflated entry (data descriptor, as a phone writes it) of `records` records 5 s apart. */
async function generate(records: number): Promise<{ path: string; xmlBytes: number }> {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `export-${records}.zip`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) return { path, ...(await Bun.file(meta).json()) };
  const name = new TextEncoder().encode("apple_health_export/export.xml");
  const out = Bun.file(path).writer();
  const local = new DataView(new ArrayBuffer(30));
  local.setUint32(0, 0x04034b50, true);
  local.setUint16(4, 20, true);
  local.setUint16(6, 0x808, true);
  local.setUint16(8, 8, true);
  local.setUint16(26, name.length, true);
  out.write(new Uint8Array(local.buffer));
  out.write(name);
  const deflate = createDeflateRaw({ level: 6 });
  let compressed = 0;
  const drained = (async () => {
    for await (const chunk of deflate) {
      compressed += chunk.length;
      out.write(chunk);
      await out.flush();
    }
  })();
  let crc = 0;
  let xmlBytes = 0;
  const put = async (text: string) => {
    const bytes = new TextEncoder().encode(text);
    crc = Bun.hash.crc32(bytes, crc);
    xmlBytes += bytes.length;
    if (!deflate.write(bytes)) await new Promise((resolve) => deflate.once("drain", resolve));
  };
  await put(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record)*)>\n]>\n<HealthData locale="en_FR">\n <ExportDate value="${localDate(NOW)}"/>\n`);
  const start = HISTORY_END - records * 5;
  for (let i = 0; i < records; i += 10_000) {
    let text = "";
    for (let j = i; j < Math.min(records, i + 10_000); j++) text += recordLine(start + j * 5, 60 + ((j * 7) % 120));
    await put(text);
  }
  await put("</HealthData>\n");
  deflate.end();
  await drained;
  const descriptor = new DataView(new ArrayBuffer(16));
  descriptor.setUint32(0, 0x08074b50, true);
  descriptor.setUint32(4, crc, true);
  descriptor.setUint32(8, compressed, true);
  descriptor.setUint32(12, xmlBytes, true);
  out.write(new Uint8Array(descriptor.buffer));
  const central = new DataView(new ArrayBuffer(46));
  central.setUint32(0, 0x02014b50, true);
  central.setUint16(4, 20, true);
  central.setUint16(6, 20, true);
  central.setUint16(8, 0x808, true);
  central.setUint16(10, 8, true);
  central.setUint32(16, crc, true);
  central.setUint32(20, compressed, true);
  central.setUint32(24, xmlBytes, true);
  central.setUint16(28, name.length, true);
  out.write(new Uint8Array(central.buffer));
  out.write(name);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 1, true);
  end.setUint16(10, 1, true);
  end.setUint32(12, 46 + name.length, true);
  end.setUint32(16, 30 + name.length + compressed + 16, true);
  out.write(new Uint8Array(end.buffer));
  await out.end();
  await Bun.write(meta, JSON.stringify({ xmlBytes }));
  return { path, xmlBytes };
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/** The parser alone, in this process: inflate; the scanner and the adapter; saxes feeding the same adapter. */
async function parsers(path: string) {
  const source = await openExport(path);
  const rows: { name: string; cpuS: number; wallS: number; records: number }[] = [];
  const time = async (name: string, run: () => Promise<number>) => {
    Bun.gc(true);
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const records = await run();
    rows.push({ name, cpuS: cpuSeconds(cpu), wallS: (performance.now() - wall) / 1000, records });
  };
  const adapter = (count: { n: number }) =>
    new HealthKitAdapter({ heartRate: () => count.n++, gauge: () => count.n++, sleep() {}, workout() {}, skipped() {} }, { sourcePriority: ["Watch"] });
  await time("inflate only", async () => {
    let bytes = 0;
    for await (const chunk of source.bytes()) bytes += chunk.length;
    return 0;
  });
  await time("purpose-built scanner + adapter", async () => {
    const count = { n: 0 };
    await scanHealthXml(source.bytes(), adapter(count));
    return count.n;
  });
  let saxes: any = null;
  try {
    saxes = await import(process.env.SAXES_MODULE ?? "saxes");
  } catch {}
  if (saxes) {
    await time("saxes 6 + the same adapter", async () => {
      const count = { n: 0 };
      const target = adapter(count);
      const parser = new saxes.SaxesParser();
      parser.on("error", () => {});
      parser.on("opentag", (tag: { name: string; attributes: Record<string, string>; isSelfClosing: boolean }) =>
        target.tag({ name: tag.name, attrs: tag.attributes, kind: tag.isSelfClosing ? "self" : "open" } satisfies XmlTag),
      );
      parser.on("closetag", (tag: { name: string; isSelfClosing: boolean }) => {
        if (!tag.isSelfClosing) target.tag({ name: tag.name, attrs: {}, kind: "close" });
      });
      const decoder = new TextDecoder();
      for await (const chunk of source.bytes()) {
        parser.write(decoder.decode(chunk, { stream: true }));
      }
      parser.close();
      return count.n;
    });
  }
  return rows;
}

interface ImportRow {
  name: string;
  records: number;
  code: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  vmRows: number | null;
  vmCpuS: number | null;
}

/** VM's rows inserted and its own CPU seconds, or null without VM. */
const vmCountersOf = async (vm: VmProcess | null) => (vm ? vmCounters(vm) : null);

async function importRun(name: string, path: string, records: number, env: Record<string, string>, vm: VmProcess | null, prefill = false, main = MAIN): Promise<ImportRow> {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-import-bench-"));
  const all = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", AUTH_TOKEN: "bench-token-0123456789", SECRET_PATH: "bench", DATA_DIR: dataDir, ...env };
  try {
    if (prefill) await webhookDays(all, 90);
    const before = await vmCountersOf(vm);
    const started = performance.now();
    const proc = Bun.spawn(["bun", "run", main, "import", path], { env: all, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const wallS = (performance.now() - started) / 1000;
    if (code !== 0) process.stderr.write(`${name}: exit ${code}\n${stdout}\n${stderr}\n`);
    const usage = proc.resourceUsage()!;
    const after = await vmCountersOf(vm);
    return {
      name,
      records,
      code,
      wallS,
      cpuS: Number(usage.cpuTime.total) / 1e6,
      peakRssMb: Math.round(usage.maxRSS / 1024 / 1024),
      vmRows: before && after ? after.rows - before.rows : null,
      vmCpuS: before && after ? after.cpuS - before.cpuS : null,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The run with the median wall time, named with how many runs it is the median of. */
function median(runs: ImportRow[]): ImportRow {
  const sorted = [...runs].sort((a, b) => a.wallS - b.wallS);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const all = `${runs.map((r) => r.wallS.toFixed(1)).join(", ")} s; peak RSS ${runs.map((r) => r.peakRssMb).join(", ")} MB`;
  return runs.length > 1 ? { ...middle, name: `${middle.name} (median of ${runs.length}: ${all})` } : middle;
}

/** `days` of per-minute heart rate posted through the real server's webhook, then the server stopped. */
async function webhookDays(env: Record<string, string>, days: number) {
  const server = await startServer(env);
  const first = Math.floor((NOW - days * DAY) / 60) * 60;
  for (let day = 0; day < days; day += 10) {
    const samples = [];
    for (let m = 0; m < Math.min(10, days - day) * 1440; m++) samples.push({ ts: first + (day * 1440 + m) * 60, bpm: 60 + (m % 90) });
    const res = await fetch(`${server.url}/hook/bench`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.AUTH_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "heart_rate", source: "watch", samples }),
    });
    if (res.status !== 200) throw new Error(`prefill answered ${res.status}`);
  }
  await server.stop();
}

const files = [];
for (const records of SIZES) files.push({ records, ...(await generate(records)) });
if (process.env.IMPORT_BENCH_GENERATE_ONLY) process.exit(0);

const parseRows = STORES.includes("sqlite") ? await parsers(files[0]!.path) : [];
const rows: ImportRow[] = [];
if (STORES.includes("sqlite")) for (const { records, path } of files) rows.push(await importRun("embedded sqlite, fresh", path, records, {}, null));
let vm: VmProcess | null = null;
if (STORES.includes("vm") && !vmUnavailable()) {
  vm = await startVm();
  for (const { records, path } of files) {
    // runs alternate with the other version's, so both see the same load
    const runs: ImportRow[] = [];
    const before: ImportRow[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await importRun("VictoriaMetrics, fresh", path, records, { VM_URL: vm.url }, vm));
      if (BEFORE) before.push(await importRun(`VictoriaMetrics, fresh, before (${BEFORE})`, path, records, { VM_URL: vm.url }, vm, false, BEFORE));
    }
    rows.push(median(runs));
    if (BEFORE) rows.push(median(before));
  }
  const biggest = files.at(-1)!;
  if (process.env.IMPORT_BENCH_HELD !== "0") rows.push(await importRun("VictoriaMetrics, 90 days of webhook data held", biggest.path, biggest.records, { VM_URL: vm.url }, vm, true));
  await vm.stop();
}

const mb = (n: number) => (n / 1e6).toFixed(0);
console.log(`Generated exports: ${files.map((f) => `${f.records.toLocaleString("en")} records = ${mb(f.xmlBytes)} MB of XML, ${mb(Bun.file(f.path).size)} MB zipped`).join("; ")}. ${RUNS > 1 ? `VM rows: the median of ${RUNS} runs` : "One run each (the 5 M runs take minutes)"}; 2 cores shared with other work (load average was ${(await Bun.file("/proc/loadavg").text()).split(" ")[0]} at the end), so wall times are noisy: CPU time is the steadier figure.\n`);
if (parseRows.length) {
  console.log(`Parser alone on the ${files[0]!.records.toLocaleString("en")}-record file (in-process, no ledger):\n`);
  console.log("| reader | records | CPU (s) | wall (s) | MB/s of XML (CPU) | × scanner |");
  console.log("|---|---|---|---|---|---|");
  const scannerCpu = parseRows.find((r) => r.name.startsWith("purpose-built"))!.cpuS;
  for (const r of parseRows) console.log(`| ${r.name} | ${r.records} | ${r.cpuS.toFixed(2)} | ${r.wallS.toFixed(2)} | ${(files[0]!.xmlBytes / 1e6 / r.cpuS).toFixed(0)} | ${(r.cpuS / scannerCpu).toFixed(2)} |`);
}
console.log("\n`fitstack import` as a child process (kept copy, ledger, one delivery to the store):\n");
console.log("| store | records | exit | wall (s) | CPU (s) | peak RSS (MB) | VM rows inserted | VM's own CPU (s) |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.records.toLocaleString("en")} | ${r.code} | ${r.wallS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${r.peakRssMb} | ${r.vmRows ?? "-"} | ${r.vmCpuS?.toFixed(1) ?? "-"} |`);
}
