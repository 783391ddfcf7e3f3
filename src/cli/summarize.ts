// `fitstack summarize [DIR] [--json] [--plots [OUT]] [--progress]`: what is in a folder of exports or raw logs.
import { existsSync, statSync } from "node:fs";
import { NotAnExportError } from "../import/source";
import { summarizeExport } from "../summarize/healthExport";
import { renderReport } from "./import";
import { writePlots, PLOT_WIDTH } from "../summarize/plots";
import { renderText } from "../summarize/text";
import { summarize, type Progress } from "../summarize/summarize";
import { loadZoneProfile } from "../summarize/zoneProfile";

export const SUMMARIZE_HELP = `Usage: fitstack summarize [DIR|FILE] [--json] [--plots [OUT]] [--progress]

Given the Health app's export.zip (or export.xml), reports what \`fitstack import\` would bring: records
per type, date ranges, what would be skipped and why, and the time in each zone (read into memory only).

Otherwise reads every .json, .ndjson and .jsonl file under DIR (default data_samples/), recursively: Health Auto
Export exports, fixture-shape payloads and the server's raw log (DATA_DIR/raw/*.ndjson). Reports per file
and in total: records by metric, keys seen, time range (UTC and the file's own offset), cadence, time in
each heart-rate zone (HR_MAX, RHR, ZONES_MODE, ZONE_BOUNDS from the environment) and anomalies. A broken
file is reported and skipped; the run goes on.

  --json          print one JSON document instead of the text report
  --plots [OUT]   write PNGs to OUT (default out/): one heart-rate plot per file with heart rate, and
                  zones.png for all files. Plots are only written with --plots.
                  A value not starting with "-" after --plots is OUT: name DIR first (summarize DIR --plots)
  --progress      progress on stderr even when stdout is not a terminal (after the first second)

Exit status: 0 summarized; 1 nothing at all could be read; 2 DIR does not exist or a bad option.
`;

export interface SummarizeArgs {
  dir: string;
  json: boolean;
  plots: string | null;
  progress: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export function parseSummarizeArgs(args: string[], interactive: boolean): SummarizeArgs {
  const out: SummarizeArgs = { dir: "data_samples", json: false, plots: null, progress: interactive, help: false };
  let dirGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") out.json = true;
    else if (arg === "--progress") out.progress = true;
    else if (arg === "--help" || arg === "-h") out.help = true;
    else if (arg === "--plots") out.plots = args[i + 1] !== undefined && !args[i + 1]!.startsWith("-") ? args[++i]! : "out";
    else if (arg.startsWith("--plots=")) out.plots = arg.slice("--plots=".length) || "out";
    else if (arg.startsWith("-")) throw new UsageError(`unknown option "${arg}"`);
    else if (dirGiven) throw new UsageError(`one DIR only, got "${out.dir}" and "${arg}"`);
    else {
      out.dir = arg;
      dirGiven = true;
    }
  }
  return out;
}

export interface SummarizeIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Unix seconds. */
  now: number;
  env: Record<string, string | undefined>;
}

export async function runSummarize(argv: string[], io: SummarizeIO): Promise<number> {
  let args: SummarizeArgs;
  try {
    args = parseSummarizeArgs(argv, Boolean(process.stdout.isTTY && process.stderr.isTTY));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`fitstack summarize: ${err.message} (see fitstack summarize --help)\n`);
    return 2;
  }
  if (args.help) {
    io.out(SUMMARIZE_HELP);
    return 0;
  }
  if (!existsSync(args.dir)) {
    io.err(`fitstack summarize: ${args.dir}: no such file or directory\n`);
    return 2;
  }
  const profile = loadZoneProfile(io.env);
  if (statSync(args.dir).isFile() && /\.(zip|xml)$/i.test(args.dir)) {
    try {
      const result = await summarizeExport(args.dir, profile, io.env, io.now);
      const zones = result.summary?.zone_seconds;
      const text = renderReport(result.import, "summarize (nothing written)", true) + (zones ? `  zone seconds: ${Object.entries(zones).map(([z, s]) => `${z} ${Math.round(s)}`).join(", ")}\n` : "");
      io.out(args.json ? JSON.stringify(result, null, 2) + "\n" : text);
      return result.import.complete ? 0 : 1;
    } catch (err) {
      if (!(err instanceof NotAnExportError)) throw err;
      io.err(`fitstack summarize: ${err.message}\n`);
      return 2;
    }
  }
  const started = performance.now();
  let shown = 0;
  const onProgress = (p: Progress, last = false) => {
    const elapsed = (performance.now() - started) / 1000;
    if (!args.progress || elapsed < 1 || (!last && performance.now() - shown < 250)) return;
    shown = performance.now();
    const mb = (n: number) => (n / 1e6).toFixed(1);
    io.err(`\rsummarize: ${p.filesDone}/${p.filesTotal} files, ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB, ${(p.bytesDone / 1e6 / elapsed).toFixed(1)} MB/s   `);
  };
  const result = await summarize({ dir: args.dir, profile, now: io.now, plotColumns: args.plots ? PLOT_WIDTH : 0, onProgress });
  if (shown) {
    const bytes = result.report.files.reduce((n, f) => n + f.bytes, 0);
    const files = result.report.files.length;
    onProgress({ filesDone: files, filesTotal: files, bytesDone: bytes, bytesTotal: bytes }, true);
    io.err("\n");
  }
  if (result.report.files.length === 0) {
    io.err(`fitstack summarize: no .json, .ndjson or .jsonl files in ${args.dir}\n`);
    return 1;
  }
  if (args.plots) result.report.plots = await writePlots(result, args.plots);
  io.out(args.json ? JSON.stringify(result.report, null, 2) + "\n" : renderText(result.report));
  if (result.readable === 0) {
    io.err(`fitstack summarize: nothing could be read in ${args.dir}\n`);
    return 1;
  }
  return 0;
}
