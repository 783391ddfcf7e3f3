// `fitstack replay`: rebuilds the ledger and the store from DATA_DIR/raw/.
import { loadOfflineConfig, type Config } from "../config";
import type { Logger } from "../log";
import type { RawReadReport } from "../pipeline";
import { defineCommand, UsageError, type CliContext, type ParsedArgs } from "./args";
import { reimportKept } from "./import";
import { openRuntime } from "./runtime";

export const command = defineCommand({
  name: "replay",
  summary: `Rebuilds the ledger and the store from DATA_DIR/raw/. No range: from scratch (after moving to
VictoriaMetrics; changed zones serve re-credits by itself), re-reading the Health-app exports kept in
DATA_DIR/imports/ too. With a range: re-merges those days into what is held; merging is idempotent.
Needs DATA_DIR (and VM_URL for VictoriaMetrics); not AUTH_TOKEN or SECRET_PATH.`,
  options: {
    from: { type: "string", value: "YYYY-MM-DD", description: "first day of raw log to re-merge (UTC file date)" },
    to: { type: "string", value: "YYYY-MM-DD", description: "last day of raw log to re-merge" },
    "dry-run": { type: "boolean", description: "read into memory only; write nothing" },
    progress: { type: "boolean", description: "a progress bar on stderr (default when stderr is a terminal)" },
  },
  notes: "Exit status: 0 rebuilt; 1 the store was not reachable (the ledger is kept; serve delivers it later); 2 a bad option or variable.",
});

export interface ReplayOptions {
  from?: string;
  to?: string;
  dryRun: boolean;
  progress: boolean;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function replayOptions({ values }: ParsedArgs<typeof command.options>, interactive: boolean): ReplayOptions {
  for (const name of ["from", "to"] as const) {
    const value = values[name];
    if (value !== undefined && !DATE_RE.test(value)) throw new UsageError(`--${name} expects a date YYYY-MM-DD, got "${value}"`);
  }
  if (values.from && values.to && values.from > values.to) throw new UsageError("--from must not be after --to");
  return { from: values.from, to: values.to, dryRun: values["dry-run"], progress: values.progress || interactive };
}

export function run(args: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  const options = replayOptions(args, process.stderr.isTTY ?? false);
  return replay(loadOfflineConfig(ctx.env), options, ctx.log, (line) => ctx.out(line + "\n"));
}

/**
 * Without --from/--to the ledger and the store are emptied and everything is re-read (after changing
 * zones, or moving to VictoriaMetrics). With a range, those days' files are merged again into what is
 * held: merging is idempotent, so this repairs without double counting. --dry-run reads into memory only.
 */
export async function replay(config: Config, options: ReplayOptions, log: Logger, out: (line: string) => void): Promise<number> {
  const runtime = await openRuntime(config, log, options.dryRun);
  try {
    const files = runtime.rawLog.files().filter((file) => {
      const day = file.slice(0, 10);
      return (!options.from || day >= options.from) && (!options.to || day <= options.to);
    });
    const full = !options.from && !options.to;
    if (full && !options.dryRun) {
      await runtime.store.clear(runtime.ledger.users());
      runtime.ledger.reset();
    }
    const started = performance.now();
    const progress = (report: RawReadReport, file: string) => {
      if (!options.progress) return;
      const bar = "#".repeat(Math.round((report.files / Math.max(files.length, 1)) * 30)).padEnd(30, ".");
      process.stderr.write(`\r[${bar}] ${report.files}/${files.length} files, ${report.entries} entries (${file})   `);
    };
    // kept imports first (ledger only): the raw log's replay then delivers both in one rewrite
    const imports = full ? await reimportKept(runtime) : null;
    const report = await runtime.pipeline.replay(files, progress);
    if (options.progress) process.stderr.write("\n");
    // a full replay credited everything with the zones the settings now give
    if (full && !options.dryRun) runtime.zones.commit();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    out(
      `replay${options.dryRun ? " (dry run, nothing written)" : ""}: ${report.files} files, ${report.entries} entries, ` +
        `${report.samples} heart-rate samples, ${report.skipped.length} lines skipped, ${seconds} s`,
    );
    for (const { at, error } of report.skipped) out(`  skipped ${at}: ${error}`);
    if (imports?.files) out(`  re-read ${imports.files} kept import(s) from DATA_DIR/imports/: ${imports.records} records`);
    if (!options.dryRun && !report.delivered) {
      out("store not reachable: the rebuilt ledger is kept and `serve` delivers it when the store is back");
      return 1;
    }
    return 0;
  } finally {
    await runtime.close();
  }
}
