// 24 h of heart rate as a crisp line built from whole-pixel columns: no anti-aliasing to vanish on e-ink.
import { rect, type Box } from "./element";

export interface HeartRatePoint {
  ts: number;
  bpm: number;
}

export interface Sparkline {
  svg: string;
  min: { bpm: number; x: number; y: number };
  max: { bpm: number; x: number; y: number };
  /** Canvas y of a bpm value on the line's scale. */
  yOf: (bpm: number) => number;
}

/** Pixels per column and stroke thickness of the line. */
const COLUMN_PX = 2;
const STROKE_PX = 3;
/** Readings further apart than this are not joined: the watch was off the wrist. */
const MAX_JOIN_S = 30 * 60;

/** Lays points from `from`..`to` (unix s) onto `box`; null when there is nothing to draw. */
export function sparkline(points: HeartRatePoint[], from: number, to: number, box: Box): Sparkline | null {
  const inWindow = points.filter((p) => p.ts >= from && p.ts <= to && Number.isFinite(p.bpm));
  if (inWindow.length === 0) return null;
  const columns = Math.floor(box.w / COLUMN_PX);
  const columnOf = (ts: number) => Math.min(columns - 1, Math.floor(((ts - from) / (to - from)) * columns));
  const lo = new Array<number>(columns).fill(Infinity);
  const hi = new Array<number>(columns).fill(-Infinity);
  const lastTs = new Array<number>(columns).fill(-Infinity);
  const firstTs = new Array<number>(columns).fill(Infinity);
  let min = inWindow[0]!;
  let max = inWindow[0]!;
  for (const p of inWindow) {
    const c = columnOf(p.ts);
    lo[c] = Math.min(lo[c]!, p.bpm);
    hi[c] = Math.max(hi[c]!, p.bpm);
    lastTs[c] = Math.max(lastTs[c]!, p.ts);
    firstTs[c] = Math.min(firstTs[c]!, p.ts);
    if (p.bpm < min.bpm) min = p;
    if (p.bpm > max.bpm) max = p;
  }
  // a flat day still gets a visible band, centred
  const pad = Math.max(0, (10 - (max.bpm - min.bpm)) / 2);
  const top = max.bpm + pad;
  const bottom = min.bpm - pad;
  const span = box.h - STROKE_PX;
  const yOf = (bpm: number) => box.y + Math.round(((top - bpm) / (top - bottom)) * span);

  // each column is a vertical run of pixels: its readings' range, stretched to touch its neighbour's run
  const runs: ({ top: number; bottom: number } | null)[] = new Array(columns).fill(null);
  let prev = -1;
  for (let c = 0; c < columns; c++) {
    if (lo[c] === Infinity) continue;
    runs[c] = { top: yOf(hi[c]!), bottom: yOf(lo[c]!) };
    if (prev >= 0 && c > prev + 1 && firstTs[c]! - lastTs[prev]! <= MAX_JOIN_S) {
      const a = (runs[prev]!.top + runs[prev]!.bottom) / 2;
      const b = (runs[c]!.top + runs[c]!.bottom) / 2;
      for (let k = prev + 1; k < c; k++) {
        const y = Math.round(a + ((k - prev) / (c - prev)) * (b - a));
        runs[k] = { top: y, bottom: y };
      }
    }
    prev = c;
  }
  let svg = "";
  for (let c = 0; c < columns; c++) {
    const run = runs[c];
    if (!run) continue;
    const before = runs[c - 1];
    const top = before ? Math.min(run.top, before.bottom) : run.top;
    const bottom = before ? Math.max(run.bottom, before.top) : run.bottom;
    svg += rect(box.x + c * COLUMN_PX, top, COLUMN_PX, bottom - top + STROKE_PX);
  }
  const at = (p: HeartRatePoint) => ({ bpm: p.bpm, x: box.x + columnOf(p.ts) * COLUMN_PX + COLUMN_PX / 2, y: yOf(p.bpm) + (STROKE_PX - 1) / 2 });
  return { svg, min: at(min), max: at(max), yOf };
}
