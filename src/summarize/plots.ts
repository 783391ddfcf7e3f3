// The --plots files: one heart-rate PNG per file that has heart rate, and one zone-time bar chart for all.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { renderHeartRatePlot, renderZoneBarChart } from "../render/plots";
import { offsetLabel } from "./report";
import type { SummarizeResult } from "./summarize";

export const PLOT_WIDTH = 1200;
export const PLOT_HEIGHT = 600;
export const BAR_WIDTH = 800;
export const BAR_HEIGHT = 400;

/** "raw/2026-01-05.ndjson" → "raw_2026-01-05.ndjson": one flat folder, no collisions between sub-folders. */
export function plotFileName(path: string): string {
  return `${path.replace(/[\\/]+/g, "_").replace(/[^A-Za-z0-9._-]/g, "-")}.heart-rate.png`;
}

/** Writes the plots into `outDir` and returns their paths. */
export async function writePlots(result: SummarizeResult, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const { report } = result;
  const written: string[] = [];
  for (const series of result.heartRate) {
    const timeZone = series.offsetSeconds === null ? "UTC" : offsetLabel(series.offsetSeconds);
    const png = await renderHeartRatePlot({
      points: series.points,
      zoneBoundsBpm: report.zones.boundsBpm,
      title: `Heart rate · ${series.path}`,
      timeZone,
      width: PLOT_WIDTH,
      height: PLOT_HEIGHT,
    });
    const path = join(outDir, plotFileName(series.path));
    await Bun.write(path, png);
    written.push(path);
  }
  const zones = report.total.heartRate?.zoneSeconds ?? { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
  const files = report.files.filter((f) => f.heartRate).length;
  const png = await renderZoneBarChart({ zoneSeconds: zones, title: `Time in zones · ${files} file${files === 1 ? "" : "s"}`, width: BAR_WIDTH, height: BAR_HEIGHT });
  const path = join(outDir, "zones.png");
  await Bun.write(path, png);
  written.push(path);
  return written;
}
