// The TRMNL dashboard: data in, 1-bit PNG bytes out. Fixed geometry per orientation, charts on whole pixels.
import satori from "satori";
import { h, layer, rect, textAt, type Box, type Layer } from "./element";
import { loadFonts } from "./font";
import { localDate } from "./format";
import { daysPanel } from "./daysPanel";
import { heartPanel } from "./heartPanel";
import { sleepCell, syncCell, workoutCell } from "./footerPanel";
import { svgToPng1Bit } from "./rasterize";
import { weekPanel } from "./weekPanel";
import { zonePatternDefs } from "./zoneFills";

export type ZoneSeconds = { z1: number; z2: number; z3: number; z4: number; z5: number };

export interface DashboardData {
  now: number; // unix seconds, passed in (no Date.now() inside the renderer)
  lastSync: number | null; // unix s of the newest received data
  week: ZoneSeconds; // zone seconds since the start of this week (Monday 00:00 local)
  days: { date: string; zoneSeconds: ZoneSeconds }[]; // last 7 local days, oldest first, date "YYYY-MM-DD"
  heartRate24h: { ts: number; bpm: number }[]; // last 24 h, sorted by ts (may be thousands of points)
  restingHr: number | null;
  lastWorkout: { name: string; start: number; durationS: number; avgHr?: number } | null;
  lastSleep: { start: number; end: number; asleepS: number; deepS?: number; remS?: number } | null;
  /** Today's form (TSB) and this week's moderate-equivalent minutes against the goal (/api/load's numbers). */
  training?: { tsb: number; weekMin: number; goalMin: number } | null;
}

export interface RenderOptions {
  width: number; // 800x480 (OG landscape) default; 480x800 portrait must also lay out well
  height: number;
  timeZone: string; // IANA zone used for labels ("synced 14:05", weekday names) via Intl.DateTimeFormat
  weeklyZ2GoalH?: number; // when set, show "x / goal h"
  staleAfterS: number; // when now - lastSync > staleAfterS draw the sync time in reverse (white on black)
}

const M = 16;
const SYNC_W = 156;
const rule = (x: number, y: number, w: number) => rect(x, y, w, 2);

const isZero = (z: ZoneSeconds) => z.z1 + z.z2 + z.z3 + z.z4 + z.z5 === 0;

/** Nothing to show: never synced, or synced but every number is zero and every list empty. */
export function hasNoData(data: DashboardData): boolean {
  return (
    data.lastSync === null ||
    (isZero(data.week) &&
      data.days.every((d) => isZero(d.zoneSeconds)) &&
      data.heartRate24h.length === 0 &&
      data.restingHr === null &&
      data.lastWorkout === null &&
      data.lastSleep === null)
  );
}

function landscape(data: DashboardData, opts: RenderOptions): Layer[] {
  const { width: W, height: H, timeZone } = opts;
  const inner = W - 2 * M;
  const footer: Box = { x: M, y: H - M - 58, w: inner, h: 58 };
  const syncW = SYNC_W;
  const sleepW = 236;
  return [
    weekPanel({ x: M, y: M, w: 340, h: 232 }, data.week, opts.weeklyZ2GoalH, data.training),
    daysPanel({ x: M + 364, y: M, w: inner - 364, h: 232 }, data.days, localDate(data.now, timeZone)),
    layer([], rule(M, M + 244, inner)),
    heartPanel({ x: M, y: M + 258, w: inner, h: footer.y - M - 258 - 14 }, data.heartRate24h, data.now, data.restingHr),
    layer([], rule(M, footer.y - 12, inner)),
    workoutCell({ ...footer, w: inner - sleepW - syncW - 32 }, data.lastWorkout, data.now, timeZone),
    sleepCell({ ...footer, x: W - M - syncW - sleepW - 16, w: sleepW }, data.lastSleep),
    syncCell({ ...footer, x: W - M - syncW, w: syncW }, data.lastSync, data.now, timeZone, opts.staleAfterS),
  ];
}

function portrait(data: DashboardData, opts: RenderOptions): Layer[] {
  const { width: W, height: H, timeZone } = opts;
  const inner = W - 2 * M;
  const bottom: Box = { x: M, y: H - M - 58, w: inner, h: 58 };
  return [
    weekPanel({ x: M, y: M, w: inner, h: 232 }, data.week, opts.weeklyZ2GoalH, data.training),
    layer([], rule(M, M + 244, inner)),
    daysPanel({ x: M, y: M + 258, w: inner, h: 226 }, data.days, localDate(data.now, timeZone)),
    layer([], rule(M, M + 494, inner)),
    heartPanel({ x: M, y: M + 508, w: inner, h: 114 }, data.heartRate24h, data.now, data.restingHr),
    layer([], rule(M, M + 634, inner)),
    workoutCell({ x: M, y: bottom.y - 66, w: inner, h: 56 }, data.lastWorkout, data.now, timeZone),
    sleepCell({ ...bottom, w: inner - SYNC_W - 16 }, data.lastSleep),
    syncCell({ ...bottom, x: W - M - SYNC_W, w: SYNC_W }, data.lastSync, data.now, timeZone, opts.staleAfterS),
  ];
}

function noData(data: DashboardData, opts: RenderOptions): Layer[] {
  const { width: W, height: H } = opts;
  return [
    layer([
      textAt({ x: M, y: Math.round(H / 2) - 70, w: W - 2 * M, h: 80 }, "No data yet", { size: 72, align: "center" }),
      textAt({ x: M, y: Math.round(H / 2) + 20, w: W - 2 * M, h: 32 }, data.lastSync === null ? "waiting for the first sync" : "nothing recorded this week", { size: 26, align: "center" }),
    ]),
    syncCell({ x: W - M - SYNC_W, y: H - M - 58, w: SYNC_W, h: 58 }, data.lastSync, data.now, opts.timeZone, opts.staleAfterS),
  ];
}

/** Lays the text out with satori, then adds the charts' own SVG on top, in one document. */
export async function dashboardSvg(data: DashboardData, opts: RenderOptions): Promise<string> {
  const layers = hasNoData(data) ? noData(data, opts) : opts.width >= opts.height ? landscape(data, opts) : portrait(data, opts);
  const root = h(
    "div",
    { display: "flex", position: "relative", width: opts.width, height: opts.height, backgroundColor: "white" },
    layers.flatMap((l) => l.text),
  );
  const fonts = await loadFonts();
  const svg = await satori(root as never, { width: opts.width, height: opts.height, fonts });
  const charts = zonePatternDefs() + layers.map((l) => l.svg).join("");
  return svg.slice(0, svg.lastIndexOf("</svg>")) + charts + "</svg>";
}

export async function renderDashboard(data: DashboardData, opts: RenderOptions): Promise<Uint8Array> {
  return svgToPng1Bit(await dashboardSvg(data, opts));
}
