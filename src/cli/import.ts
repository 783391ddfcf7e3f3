// `fitstack import PATH`: the Health app's "Export All Health Data" (export.zip, export.xml or the unzipped
// folder) into the ledger and the store, exactly once alongside the webhook, safe beside a running `serve`.
import { join } from "node:path";
import { loadOfflineConfig, type Config } from "../config";
import { acquireDeliveryLock, DeliveryBusyError, lockPathFor } from "../delivery-lock";
import { importExport, type ImportProgress, type ImportReport } from "../import/importer";
import { NotAnExportError, openExport } from "../import/source";
import { importsDir, keepImport, keptImports } from "../import/stored";
import type { Logger } from "../log";
import { MemoryGuard } from "../memory";
import { parseSourcePriority } from "../normalize/healthkit";
import { deliverPending } from "../pipeline";
import { defineCommand, UsageError, type CliContext, type ParsedArgs } from "./args";
import { openRuntime, type Runtime } from "./runtime";

/** RSS growth between collections while the import delivers (serve allows 32 MB). */
const IMPORT_GC_HEADROOM = 16 * 1024 * 1024;

export const command = defineCommand({
  name: "import",
  operands: { usage: "PATH", max: 1 },
  summary: `Imports the Health app's "Export All Health Data": export.zip as the phone (or a Mac) makes it, the bare
export.xml (whatever its localised name), or the unzipped folder. Streamed: never unpacked, never held whole.
Heart rate joins the merged timeline (zones), other quantities become the hae_<name> gauges the webhook
writes, steps/energy/distance/flights hourly totals with one source per hour (SOURCE_PRIORITY, default
"Watch,iPhone": Apple Watch before iPhone before other apps), sleep nights, workouts. What the webhook
already sent counts once; importing the same file again changes nothing. The file is kept in
DATA_DIR/imports/ so \`replay\` rebuilds it. Works while \`serve\` runs on the same DATA_DIR: its posts are
answered as usual and delivered with the import's one final store write. Needs DATA_DIR (and VM_URL for
VictoriaMetrics); not AUTH_TOKEN or SECRET_PATH.`,
  options: {
    "dry-run": { type: "boolean", description: "read and map everything into memory; nothing is kept or written" },
    since: { type: "string", value: "YYYY-MM-DD", description: "skip records whose start (local date) is earlier" },
    progress: { type: "boolean", description: "progress bar on stderr (default when stderr is a terminal)" },
    json: { type: "boolean", description: "print the report as JSON" },
    user: { type: "string", value: "NAME", description: "whose data it is (default USER_LABEL)" },
  },
  notes: `Exit status: 0 imported; 1 the file was cut short (everything before the damage was imported), the store
was not reachable (kept in the ledger, delivered by \`serve\`) or DATA_DIR could not be used; 2 a bad option,
or PATH is not an export.`,
});

export interface ImportArgs {
  path: string;
  dryRun: boolean;
  since?: string;
  progress: boolean;
  json: boolean;
  user?: string;
}

export function importArgs({ values, operands }: ParsedArgs<typeof command.options>, interactive: boolean): ImportArgs {
  if (!operands[0]) throw new UsageError("PATH is missing (an export.zip, export.xml or its folder)");
  if (values.since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.since)) throw new UsageError(`--since expects a date YYYY-MM-DD, got "${values.since}"`);
  if (values.user !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(values.user)) throw new UsageError(`--user "${values.user}": use only letters, digits, '.', '-' and '_'`);
  return { path: operands[0], dryRun: values["dry-run"], since: values.since, progress: values.progress || interactive, json: values.json, user: values.user };
}

export function run(parsed: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  const args = importArgs(parsed, process.stderr.isTTY ?? false);
  return runImport(loadOfflineConfig(ctx.env), args, ctx.log, { out: ctx.out, err: ctx.err, env: ctx.env });
}

export interface ImportIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

/** How long an import waits for a `serve` delivery in progress to finish before giving up. */
const LOCK_WAIT_MS = 60_000;

export async function runImport(config: Config, args: ImportArgs, log: Logger, io: ImportIO): Promise<number> {
  try {
    return await importOrFail(config, args, log, io);
  } catch (err) {
    // disk full, a ledger locked for longer than its busy timeout, a lock never released …: one line, and
    // re-running completes the import (what was merged counts as already held)
    io.err(`fitstack import: ${(err as Error).message}; nothing merged is lost, run it again to complete it\n`);
    return 1;
  }
}

async function importOrFail(config: Config, args: ImportArgs, log: Logger, io: ImportIO): Promise<number> {
  const user = args.user ?? config.userLabel;
  const sourcePriority = parseSourcePriority(io.env.SOURCE_PRIORITY);
  let source;
  try {
    source = await openExport(args.path);
  } catch (err) {
    if (!(err instanceof NotAnExportError)) throw err;
    io.err(`fitstack import: ${err.message}\n`);
    return 2;
  }
  if (!args.dryRun) {
    // kept first, then read from the kept copy: what replay re-reads is exactly what was imported
    const kept = await keepImport(config.dataDir, source, { original: args.path, user, since: args.since, sourcePriority });
    source = await openExport(`${config.dataDir}/imports/${kept.file}`);
  }
  const runtime = await openRuntime(config, log, args.dryRun);
  try {
    using _lock = await waitForLock(runtime, log);
    const draw = args.progress ? progressBar(io.err) : undefined;
    const report = await importExport(source, runtime.ledger, {
      user,
      boundsBpm: runtime.pipeline.boundsOf(user),
      since: args.since,
      sourcePriority,
      now: Math.floor(Date.now() / 1000),
      onProgress: draw,
    });
    if (draw) io.err("\n");
    let delivered = true;
    if (!args.dryRun) {
      try {
        // millions of credits in one delivery: collected more often than serve does (peak RSS 150 → 138 MB for 5 M on VM)
        await deliverPending(runtime.ledger, runtime.store, undefined, new MemoryGuard(IMPORT_GC_HEADROOM));
      } catch (err) {
        delivered = false;
        log.warn("store not reachable; the import is kept in the ledger and `serve` delivers it", { error: (err as Error).message });
      }
    }
    io.out(args.json ? JSON.stringify({ ...report, user, dryRun: args.dryRun, delivered }, null, 2) + "\n" : renderReport(report, args.dryRun ? "import (dry run, nothing written)" : "import", delivered));
    return report.complete && delivered ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

/** `replay`: every kept import read again into the ledger (delivered with the replay's one delivery). */
export async function reimportKept(runtime: Runtime): Promise<{ files: number; records: number; incomplete: string[] }> {
  const { config, ledger } = runtime;
  const result = { files: 0, records: 0, incomplete: [] as string[] };
  for (const kept of keptImports(config.dataDir)) {
    const report = await importExport(await openExport(join(importsDir(config.dataDir), kept.file)), ledger, {
      user: kept.user,
      boundsBpm: runtime.pipeline.boundsOf(kept.user),
      since: kept.since,
      sourcePriority: kept.sourcePriority,
      now: Math.floor(Date.now() / 1000),
    });
    result.files++;
    result.records += Object.values(report.types).reduce((sum, t) => sum + t.read, 0);
    if (!report.complete) result.incomplete.push(kept.file);
  }
  return result;
}

async function waitForLock(runtime: Runtime, log: Logger) {
  const path = lockPathFor(runtime.ledger.db.filename);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let delay = 50, warned = false; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return acquireDeliveryLock(path, "import");
    } catch (err) {
      if (!(err instanceof DeliveryBusyError) || Date.now() > deadline) throw err;
      if (!warned) log.info("waiting for a delivery in progress", { reason: err.message });
      warned = true;
      await Bun.sleep(delay);
    }
  }
}

function progressBar(write: (text: string) => void) {
  return ({ bytes, total, records, elapsedMs }: ImportProgress) => {
    const seconds = elapsedMs / 1000;
    const rate = seconds > 0 ? Math.round(records / seconds) : 0;
    const share = total ? Math.min(1, bytes / total) : null;
    const bar = share === null ? "" : `[${"#".repeat(Math.round(share * 30)).padEnd(30, ".")}] ${(share * 100).toFixed(0)}% `;
    const eta = share && share > 0 ? ` ETA ${Math.max(0, Math.round(seconds / share - seconds))} s` : "";
    write(`\r${bar}${mb(bytes)}${total ? ` of ${mb(total)}` : ""} MB XML, ${records} records, ${rate}/s${eta}   `);
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
const day = (ts: number | null) => (ts === null ? "-" : new Date(ts * 1000).toISOString().slice(0, 10));

export function renderReport(report: ImportReport, title: string, delivered: boolean): string {
  const lines = [`${title}: ${report.file}, ${mb(report.bytesRead)} MB of XML in ${report.seconds.toFixed(1)} s`];
  const rows = Object.entries(report.types).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(4, ...rows.map(([key]) => key.length));
  lines.push(`  ${"type".padEnd(width)}  ${"read".padStart(9)} ${"imported".padStart(9)} ${"held".padStart(9)}  range`);
  let imported = 0;
  let held = 0;
  for (const [key, t] of rows) {
    imported += t.imported;
    held += t.held;
    const skipped = Object.entries(t.skipped).map(([reason, n]) => `${n} skipped: ${reason}`);
    lines.push(`  ${key.padEnd(width)}  ${String(t.read).padStart(9)} ${String(t.imported).padStart(9)} ${String(t.held).padStart(9)}  ${day(t.from)}..${day(t.to)}${skipped.length ? `  (${skipped.join("; ")})` : ""}`);
  }
  const other = Object.entries(report.notImported).map(([kind, n]) => `${n} ${kind}`);
  if (other.length) lines.push(`  not imported: ${other.join(", ")}`);
  if (!imported && held) lines.push("  nothing new: everything in this export was already held");
  if (report.stoppedAt) {
    lines.push(`  stopped early at byte ${report.stoppedAt.byte} (last record ${report.stoppedAt.lastRecordDate ?? "none"}): ${report.stoppedAt.error}; everything before it was imported`);
  }
  if (!delivered) lines.push("  store not reachable: the import is kept in the ledger and `serve` delivers it when the store is back");
  return lines.join("\n") + "\n";
}
