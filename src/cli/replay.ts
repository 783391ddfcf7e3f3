// `fitstack replay`: rebuilds the ledger and the store from DATA_DIR/raw/.
import type { Config } from "../config";
import type { Logger } from "../log";
import type { RawReadReport } from "../pipeline";
import { reimportKept } from "./import";
import { openRuntime } from "./runtime";

export interface ReplayOptions {
  from?: string;
  to?: string;
  dryRun: boolean;
  progress: boolean;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseReplayArgs(args: string[]): ReplayOptions {
  const options: ReplayOptions = { dryRun: false, progress: process.stderr.isTTY ?? false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--progress") options.progress = true;
    else if (arg === "--from" || arg === "--to") {
      const value = args[++i] ?? "";
      if (!DATE_RE.test(value)) throw new Error(`${arg} expects a date YYYY-MM-DD, got "${value}"`);
      options[arg === "--from" ? "from" : "to"] = value;
    } else throw new Error(`replay: unknown option "${arg}"`);
  }
  return options;
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
