// `fitstack summarize`: what is in a folder of exports or raw logs.
import { existsSync, statSync } from "node:fs";
import { NotAnExportError } from "../import/source";
import { summarizeExport } from "../summarize/healthExport";
import { renderReport } from "./import";
import { defineCommand, type CliContext, type ParsedArgs } from "./args";
import { writePlots, PLOT_WIDTH } from "../summarize/plots";
import { renderText } from "../summarize/text";
import { summarize, type Progress } from "../summarize/summarize";
import { loadZoneProfile } from "../config";

export const command = defineCommand({
  name: "summarize",
  operands: { usage: "[DIR|FILE]", max: 1 },
  summary: `Given the Health app's export.zip (or export.xml) as FILE, reports what \`fitstack import\` would bring:
records per type, date ranges, what would be skipped and why, and the time in each zone (nothing is written).

Otherwise reads every .json, .ndjson and .jsonl file under DIR (default data_samples/), recursively: Health Auto
Export exports, fixture-shape payloads and the server's raw log (DATA_DIR/raw/*.ndjson). Reports per file
and in total: records by metric, time range (UTC and the file's own offset), cadence, time in each
heart-rate zone (HR_MAX, RHR, ZONES_MODE, ZONE_BOUNDS from the environment), anomalies and member names, read as the
webhook reads them: a refused point is reported and left out. A broken file is reported (what can be read
of it counts); the run goes on. Other files are listed as skipped, with the reason.`,
  options: {
    json: { type: "boolean", description: "print one JSON document instead of the text report" },
    plots: {
      type: "string",
      value: "OUT",
      bare: "out",
      description: `write PNGs to OUT: one heart-rate plot per file with heart rate, and zones.png for all
files. Plots are only written with --plots. A word not starting with "-" after --plots
is OUT: name DIR first (summarize DIR --plots)`,
    },
    progress: { type: "boolean", description: "progress on stderr even when stdout is not a terminal (after the first second)" },
  },
  notes: "Exit status: 0 summarized; 1 nothing at all could be read; 2 DIR does not exist or a bad option.",
});

export interface SummarizeArgs {
  dir: string;
  json: boolean;
  plots: string | null;
  progress: boolean;
}

export function summarizeArgs({ values, operands }: ParsedArgs<typeof command.options>, interactive: boolean): SummarizeArgs {
  return { dir: operands[0] ?? "data_samples", json: values.json, plots: values.plots === undefined ? null : values.plots || "out", progress: values.progress || interactive };
}

export async function run(parsed: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  const args = summarizeArgs(parsed, ctx.interactive);
  const io = { out: ctx.out, err: ctx.err };
  if (!existsSync(args.dir)) {
    io.err(`fitstack summarize: ${args.dir}: no such file or directory\n`);
    return 2;
  }
  const profile = loadZoneProfile(ctx.env);
  if (statSync(args.dir).isFile() && /\.(zip|xml)$/i.test(args.dir)) {
    try {
      const result = await summarizeExport(args.dir, profile, ctx.env, ctx.now());
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
  const result = await summarize({ dir: args.dir, profile, now: ctx.now(), plotColumns: args.plots ? PLOT_WIDTH : 0, onProgress });
  if (shown) {
    const bytes = result.report.files.reduce((n, f) => n + f.bytes, 0);
    const files = result.report.files.length;
    onProgress({ filesDone: files, filesTotal: files, bytesDone: bytes, bytesTotal: bytes }, true);
    io.err("\n");
  }
  if (result.report.files.length === 0) {
    const { skipped } = result.report;
    const listed = skipped.length ? ` (skipped ${skipped.length}: ${skipped.slice(0, 3).map((f) => f.path).join(", ")}${skipped.length > 3 ? ", …" : ""})` : "";
    io.err(`fitstack summarize: no .json, .ndjson or .jsonl files in ${args.dir}${listed}\n`);
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
