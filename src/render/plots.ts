// Plots for the `summarize` command, looked at on a computer: 8-bit grey, anti-aliased, real time axes.
import satori from "satori";
import { h, rect, textAt, type Box, type Element } from "./element";
import { loadFonts } from "./font";
import { clock, duration, localDate, weekdayOfDate, zoneOffsetS } from "./format";
import { svgToPngGray8 } from "./rasterize";
import type { ZoneSeconds } from "./dashboard";
import type { HeartRatePoint } from "./sparkline";

export interface HeartRatePlotInput {
  points: HeartRatePoint[];
  /** Lower bounds of z2..z5 in bpm. */
  zoneBoundsBpm: number[];
  title: string;
  timeZone: string;
  width?: number;
  height?: number;
}

/** Zone band greys, z1 to z5: each zone a step darker, all light enough for a black line on top. */
const BAND_GREY = ["#ffffff", "#ececec", "#d9d9d9", "#c6c6c6", "#b3b3b3"];
const ZONE_BAR_GREY = ["#d9d9d9", "#b3b3b3", "#8c8c8c", "#595959", "#000000"];
const TICK_STEPS_S = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

async function toPng(width: number, height: number, text: Element[], svg: string): Promise<Uint8Array> {
  const root = h("div", { display: "flex", position: "relative", width, height, backgroundColor: "white" }, text);
  const laidOut = await satori(root as never, { width, height, fonts: await loadFonts() });
  return svgToPngGray8(laidOut.slice(0, laidOut.lastIndexOf("</svg>")) + svg + "</svg>");
}

/** Time ticks on whole local steps (every 2 h at 14:00, 16:00 … in the zone), about eight across. */
function timeTicks(from: number, to: number, timeZone: string): number[] {
  const step = TICK_STEPS_S.find((s) => (to - from) / s <= 8) ?? TICK_STEPS_S.at(-1)!;
  const offset = zoneOffsetS(from, timeZone);
  const ticks: number[] = [];
  for (let local = Math.ceil((from + offset) / step) * step; local - offset <= to; local += step) ticks.push(local - offset);
  return ticks;
}

/** Keeps each pixel column's lowest and highest reading in time order: thousands of points, same picture. */
function thinToColumns(points: HeartRatePoint[], from: number, to: number, columns: number): HeartRatePoint[] {
  const kept: HeartRatePoint[] = [];
  let column = -1;
  let low: HeartRatePoint | undefined;
  let high: HeartRatePoint | undefined;
  const flush = () => low && high && kept.push(...(low.ts <= high.ts ? [low, high] : [high, low]).filter((p, i, a) => i === 0 || p !== a[0]));
  for (const p of points) {
    const c = Math.floor(((p.ts - from) / Math.max(1, to - from)) * columns);
    if (c !== column) {
      flush();
      column = c;
      low = high = p;
    }
    if (p.bpm < low!.bpm) low = p;
    if (p.bpm > high!.bpm) high = p;
  }
  flush();
  return kept;
}

const PLOT_GAP_S = 15 * 60;

export async function renderHeartRatePlot(input: HeartRatePlotInput): Promise<Uint8Array> {
  const { points, zoneBoundsBpm, title, timeZone, width = 1200, height = 600 } = input;
  const plot: Box = { x: 70, y: 60, w: width - 150, h: height - 120 };
  const text: Element[] = [textAt({ x: 20, y: 10, w: width - 40, h: 40 }, title, { size: 28 })];
  const sorted = points.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.bpm)).sort((a, b) => a.ts - b.ts);
  if (sorted.length === 0) {
    text.push(textAt(plot, "no heart-rate readings", { size: 28, align: "center" }));
    return toPng(width, height, text, "");
  }
  const from = sorted[0]!.ts;
  const to = Math.max(sorted.at(-1)!.ts, from + 60);
  const bpms = sorted.map((p) => p.bpm);
  const low = Math.floor((Math.min(...bpms, zoneBoundsBpm[0] ?? Infinity) - 10) / 10) * 10;
  // all five bands always show, so a reader sees how far below z5 the day stayed
  const high = Math.ceil(Math.max(Math.max(...bpms) + 5, (zoneBoundsBpm.at(-1) ?? 0) + 10) / 10) * 10;
  const xOf = (ts: number) => plot.x + ((ts - from) / (to - from)) * plot.w;
  const yOf = (bpm: number) => plot.y + ((high - Math.min(high, Math.max(low, bpm))) / (high - low)) * plot.h;

  // zone bands, each labelled at the right with its name and lower bound
  let svg = "";
  const edges = [low, ...zoneBoundsBpm, high];
  for (let zone = 0; zone < 5; zone++) {
    const top = Math.round(yOf(Math.min(high, edges[zone + 1]!)));
    const bottom = Math.round(yOf(Math.max(low, edges[zone]!)));
    if (bottom - top <= 0) continue;
    svg += rect(plot.x, top, plot.w, bottom - top, BAND_GREY[zone]);
    if (bottom - top >= 22) {
      const name = zone === 0 ? "Z1" : `Z${zone + 1} ${Math.round(edges[zone]!)}+`;
      text.push(textAt({ x: plot.x + plot.w + 8, y: Math.round((top + bottom) / 2) - 12, w: 76, h: 24 }, name, { size: 18 }));
    }
  }
  for (let bpm = low; bpm <= high; bpm += high - low > 120 ? 20 : 10) {
    svg += rect(plot.x - 6, Math.round(yOf(bpm)), 6, 1, "#000");
    text.push(textAt({ x: 0, y: Math.round(yOf(bpm)) - 12, w: plot.x - 10, h: 24 }, String(bpm), { size: 18, align: "right", bold: false }));
  }
  const multiDay = localDate(from, timeZone) !== localDate(to, timeZone);
  for (const tick of timeTicks(from, to, timeZone)) {
    const x = Math.round(xOf(tick));
    svg += rect(x, plot.y, 1, plot.h, "#00000033") + rect(x, plot.y + plot.h, 1, 6, "#000");
    const label = multiDay && clock(tick, timeZone) === "00:00" ? `${weekdayOfDate(localDate(tick, timeZone))} ${localDate(tick, timeZone).slice(5)}` : clock(tick, timeZone);
    text.push(textAt({ x: x - 60, y: plot.y + plot.h + 10, w: 120, h: 24 }, label, { size: 18, align: "center", bold: false }));
  }
  text.push(textAt({ x: plot.x, y: height - 30, w: plot.w, h: 26 }, `time (${timeZone})  ·  bpm`, { size: 18, align: "center", bold: false }));
  // a pause in the data is a gap in the line, not a slow slope across it
  const line = thinToColumns(sorted, from, to, plot.w)
    .map((p, i, all) => `${i === 0 || p.ts - all[i - 1]!.ts > PLOT_GAP_S ? "M" : "L"}${xOf(p.ts).toFixed(1)} ${yOf(p.bpm).toFixed(1)}`)
    .join("");
  svg += `<path d="${line}" fill="none" stroke="black" stroke-width="2" stroke-linejoin="round"/>`;
  svg += `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="black" stroke-width="2"/>`;
  return toPng(width, height, text, svg);
}

export interface ZoneBarChartInput {
  zoneSeconds: ZoneSeconds;
  title: string;
  width?: number;
  height?: number;
}

export async function renderZoneBarChart(input: ZoneBarChartInput): Promise<Uint8Array> {
  const { zoneSeconds, title, width = 800, height = 400 } = input;
  const zones = ["z1", "z2", "z3", "z4", "z5"] as const;
  const total = zones.reduce((n, z) => n + zoneSeconds[z], 0);
  const longest = Math.max(1, ...zones.map((z) => zoneSeconds[z]));
  const rowH = Math.floor((height - 70) / 5);
  const bars = { x: 70, w: width - 70 - 220 };
  const text = [textAt({ x: 20, y: 10, w: width - 40, h: 40 }, title, { size: 28 })];
  let svg = "";
  zones.forEach((zone, i) => {
    const y = 60 + i * rowH;
    const seconds = zoneSeconds[zone];
    const share = total > 0 ? Math.round((seconds / total) * 100) : 0;
    text.push(
      textAt({ x: 20, y, w: 44, h: rowH - 10 }, zone.toUpperCase(), { size: 22 }),
      textAt({ x: bars.x + bars.w + 12, y, w: 208, h: rowH - 10 }, `${duration(seconds)} · ${share}%`, { size: 22 }),
    );
    const w = Math.round((seconds / longest) * bars.w);
    svg += rect(bars.x, y, Math.max(w, seconds > 0 ? 2 : 0), rowH - 10, ZONE_BAR_GREY[i]);
    svg += `<rect x="${bars.x + 0.5}" y="${y + 0.5}" width="${bars.w - 1}" height="${rowH - 11}" fill="none" stroke="#000" stroke-width="1"/>`;
  });
  return toPng(width, height, text, svg);
}
