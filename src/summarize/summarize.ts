// DIR → SummaryReport: reads each file (streamed), summarizes it, and adds it into the total.
import { statSync } from "node:fs";
import { basename, join } from "node:path";
import type { HeartRatePoint } from "../render/sparkline";
import type { PieceSizes } from "../normalize/stream";
import type { ZoneProfile } from "../transform/zones";
import { formatOf, listFiles, readFile } from "./readFile";
import { fileStatus, statsReport, zonesReport, type SummaryReport } from "./report";
import { emptyStats, mergeStats } from "./stats";

export interface SummarizeOptions {
  dir: string;
  profile: ZoneProfile;
  /** Unix seconds. */
  now: number;
  /** Keep each file's heart rate, thinned to this many plot columns (0: keep none). */
  plotColumns?: number;
  /** Smaller pieces than the reader's default (tests cross every boundary with them). */
  sizes?: PieceSizes;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface HeartRateForPlot {
  path: string;
  points: HeartRatePoint[];
  /** Most used UTC offset of the file's dates, in seconds; null when it has none (fixture shape). */
  offsetSeconds: number | null;
}

export interface SummarizeResult {
  report: SummaryReport;
  heartRate: HeartRateForPlot[];
  /** Files of which anything at all could be read. */
  readable: number;
}

export async function summarize(options: SummarizeOptions): Promise<SummarizeResult> {
  const { dir, profile, now } = options;
  const single = statSync(dir).isFile();
  const { files: paths, skipped } = listFiles(dir);
  const sizes = paths.map((path) => statSync(single ? dir : join(dir, path)).size);
  const progress: Progress = { filesDone: 0, filesTotal: paths.length, bytesDone: 0, bytesTotal: sizes.reduce((a, b) => a + b, 0) };
  const report: SummaryReport = { version: 1, dir, now: new Date(now * 1000).toISOString().replace(".000Z", "Z"), zones: zonesReport(profile), files: [], skipped, total: statsReport(emptyStats()), plots: [] };
  const total = emptyStats();
  const heartRate: HeartRateForPlot[] = [];
  let readable = 0;
  for (const [i, path] of paths.entries()) {
    const full = single ? dir : join(dir, path);
    const name = single ? basename(dir) : path;
    const format = formatOf(full)!;
    const analyzer = await readFile(full, format, {
      now,
      sizes: options.sizes,
      onBytes: (bytes) => {
        progress.bytesDone += bytes;
        options.onProgress?.(progress);
      },
    });
    const { stats } = analyzer;
    if (analyzer.heartRate.length > 0) stats.heartRate = analyzer.heartRate.facts(profile, now);
    const status = fileStatus(stats);
    if (status !== "unreadable") readable++;
    report.files.push({ path: name, format, bytes: sizes[i]!, status, ...statsReport(stats) });
    mergeStats(total, stats, name);
    if (options.plotColumns && analyzer.heartRate.length > 0) {
      const offsets = [...stats.offsets].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      heartRate.push({ path: name, points: analyzer.heartRate.thinned(options.plotColumns), offsetSeconds: offsets[0]?.[0] ?? null });
    }
    progress.filesDone++;
    options.onProgress?.(progress);
  }
  report.total = statsReport(total);
  return { report, heartRate, readable };
}
