// The TRMNL dashboard: data in, greyscale PNG bytes out (1 bit unless asked for more). Fixed geometry per canvas,
// charts on whole pixels; a display of another size gets the closest canvas, scaled.
import satori from "satori";
import { h, layer, rect, textAt, type Box, type Layer } from "./element";
import { loadFonts } from "./font";
import { localDate } from "./format";
import { daysPanel } from "./daysPanel";
import { heartPanel } from "./heartPanel";
import { sleepCell, syncCell, workoutCell } from "./footerPanel";
import { monthPanel } from "./monthPanel";
import { encodePngGrey, type BitDepth } from "./pngGrey";
import { svgToGrey, svgToPng1Bit } from "./rasterize";
import { weekPanel } from "./weekPanel";
import { inkZones, zonePatternDefs } from "./zoneFills";

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
  /** The last 28 local days, oldest first: only the large (X-class) canvas shows them. */
  month?: MonthDay[];
  /** Lower bounds of z2..z5 in bpm: zone bands behind the large canvas's heart-rate line. */
  zoneBoundsBpm?: number[];
}

export interface MonthDay {
  date: string;
  zoneSeconds: ZoneSeconds;
  restingHr: number | null;
}

export interface RenderOptions {
  width: number; // 800x480 (OG landscape) default; 480x800 portrait must also lay out well
  height: number;
  timeZone: string; // IANA zone used for labels ("synced 14:05", weekday names) via Intl.DateTimeFormat
  weeklyZ2GoalH?: number; // when set, show "x / goal h"
  staleAfterS: number; // when now - lastSync > staleAfterS draw the sync time in reverse (white on black)
  depth?: BitDepth; // 1 (default), 2 (OG 4-grey), 4 (X), 8 (Kindle)
  batteryLow?: boolean; // the device reported a low battery: a small empty-battery mark in the top-right margin
}

/** An almost empty battery, 31x14, in the top margin: outline, nub and one thin bar, on whole pixels. */
export const batteryMark = (x: number, y: number) =>
  rect(x, y, 28, 14) + rect(x + 2, y + 2, 24, 10, "white") + rect(x + 4, y + 4, 4, 6) + rect(x + 28, y + 4, 3, 6);


/** The sizes the screen is laid out for: the OG's, and the X's CSS size (1040x780, drawn at 1.8 = 1872x1404). */
const CANVASES = { og: [800, 480], large: [1040, 780] } as const;

/** The canvas a display of this size gets, and the zoom that fits it on the display. */
export function canvasFor(width: number, height: number): { width: number; height: number; zoom: number; large: boolean } {
  const large = Math.max(width, height) >= 1000;
  const [long, short] = CANVASES[large ? "large" : "og"];
  const [cw, ch] = width >= height ? [long, short] : [short, long];
  return { width: cw, height: ch, zoom: Math.min(width / cw, height / ch), large };
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

/** The large canvas: the OG's panels, plus four weeks of bars, the resting-rate trend and zone bands. */
function large(data: DashboardData, opts: RenderOptions, W: number, H: number): Layer[] {
  const { timeZone } = opts;
  const inner = W - 2 * M;
  const footer: Box = { x: M, y: H - M - 58, w: inner, h: 58 };
  const today = localDate(data.now, timeZone);
  const month = data.month ?? [];
  if (W >= H) {
    const sleepW = 300;
    return [
      weekPanel({ x: M, y: M, w: 380, h: 240 }, data.week, opts.weeklyZ2GoalH, data.training),
      daysPanel({ x: M + 412, y: M, w: inner - 412, h: 240 }, data.days, today),
      layer([], rule(M, M + 254, inner)),
      heartPanel({ x: M, y: M + 268, w: inner, h: 214 }, data.heartRate24h, data.now, data.restingHr, data.zoneBoundsBpm),
      layer([], rule(M, M + 494, inner)),
      monthPanel({ x: M, y: M + 508, w: inner, h: footer.y - M - 508 - 14 }, month),
      layer([], rule(M, footer.y - 12, inner)),
      workoutCell({ ...footer, w: inner - sleepW - SYNC_W - 32 }, data.lastWorkout, data.now, timeZone),
      sleepCell({ ...footer, x: W - M - SYNC_W - sleepW - 16, w: sleepW }, data.lastSleep),
      syncCell({ ...footer, x: W - M - SYNC_W, w: SYNC_W }, data.lastSync, data.now, timeZone, opts.staleAfterS),
    ];
  }
  return [
    weekPanel({ x: M, y: M, w: inner, h: 220 }, data.week, opts.weeklyZ2GoalH, data.training),
    layer([], rule(M, M + 230, inner)),
    daysPanel({ x: M, y: M + 242, w: inner, h: 220 }, data.days, today),
    layer([], rule(M, M + 472, inner)),
    heartPanel({ x: M, y: M + 484, w: inner, h: 190 }, data.heartRate24h, data.now, data.restingHr, data.zoneBoundsBpm),
    layer([], rule(M, M + 686, inner)),
    monthPanel({ x: M, y: M + 698, w: inner, h: 170 }, month),
    layer([], rule(M, M + 878, inner)),
    workoutCell({ x: M, y: footer.y - 66, w: inner, h: 56 }, data.lastWorkout, data.now, timeZone),
    sleepCell({ ...footer, w: inner - SYNC_W - 16 }, data.lastSleep),
    syncCell({ ...footer, x: W - M - SYNC_W, w: SYNC_W }, data.lastSync, data.now, timeZone, opts.staleAfterS),
  ];
}

function noData(data: DashboardData, opts: RenderOptions, W: number, H: number): Layer[] {
  return [
    layer([
      textAt({ x: M, y: Math.round(H / 2) - 70, w: W - 2 * M, h: 80 }, "No data yet", { size: 72, align: "center" }),
      textAt({ x: M, y: Math.round(H / 2) + 20, w: W - 2 * M, h: 32 }, data.lastSync === null ? "waiting for the first sync" : "nothing recorded this week", { size: 26, align: "center" }),
    ]),
    syncCell({ x: W - M - SYNC_W, y: H - M - 58, w: SYNC_W, h: 58 }, data.lastSync, data.now, opts.timeZone, opts.staleAfterS),
  ];
}

/** Lays the text out with satori, then adds the charts' own SVG on top, in one document of the canvas's size. */
export async function dashboardSvg(data: DashboardData, opts: RenderOptions): Promise<string> {
  const canvas = canvasFor(opts.width, opts.height);
  const { width: W, height: H } = canvas;
  const canvasOpts = { ...opts, width: W, height: H };
  const layers = hasNoData(data)
    ? noData(data, opts, W, H)
    : canvas.large
      ? large(data, opts, W, H)
      : W >= H
        ? landscape(data, canvasOpts)
        : portrait(data, canvasOpts);
  const root = h("div", { display: "flex", position: "relative", width: W, height: H, backgroundColor: "white" }, layers.flatMap((l) => l.text));
  const fonts = await loadFonts();
  const svg = await satori(root as never, { width: W, height: H, fonts });
  const depth = opts.depth ?? 1;
  const ink = depth === 1 ? "hatch" : depth === 2 ? "grey4" : "grey16";
  const charts = zonePatternDefs(ink) + inkZones(layers.map((l) => l.svg).join(""), ink) + (opts.batteryLow ? batteryMark(W - M - 31, 1) : "");
  return svg.slice(0, svg.lastIndexOf("</svg>")) + charts + "</svg>";
}

/** The PNG at the display's size and depth. Size limits are the device's business (trmnl/deviceFormat.ts). */
export async function renderDashboard(data: DashboardData, opts: RenderOptions): Promise<Uint8Array> {
  const svg = await dashboardSvg(data, opts);
  const depth = opts.depth ?? 1;
  const { zoom } = canvasFor(opts.width, opts.height);
  // the OG's own canvas at 1 bit: thresholded anti-aliased edges, as the screen has always been drawn
  if (depth === 1 && zoom === 1) return svgToPng1Bit(svg);
  return encodePngGrey(svgToGrey(svg, { width: opts.width, height: opts.height, depth, zoom }), depth);
}
