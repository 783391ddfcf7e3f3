// The large canvas's extra room: four weeks of zone-2+ bars with each week's hours, and the resting rate day by day.
import { layer, rect, textAt, type Box, type Element, type Layer } from "./element";
import { hoursOneDecimal, weekdayOfDate } from "./format";
import { sparkline } from "./sparkline";
import { stackedBar } from "./zoneFills";
import { zone2PlusSeconds } from "./weekPanel";
import type { MonthDay } from "./dashboard";

const LABEL_H = 26;
const WEEK_LABEL_H = 24;
const REST_GAP = 24;
const MIN_SCALE_S = 3600;

/** 28 daily bars, z5 at the foot, Mondays marked by a taller tick, the week's z2+ hours above each week. */
function monthBars(box: Box, month: MonthDay[]): Layer {
  const text: Element[] = [textAt({ x: box.x, y: box.y, w: box.w, h: LABEL_H - 4 }, "ZONE 2+ HOURS · 4 WEEKS", { size: 22 })];
  const days = month.slice(-28);
  const columnW = Math.floor(box.w / 28);
  const baseline = box.y + box.h - 2;
  const barsTop = box.y + LABEL_H + WEEK_LABEL_H;
  const pxPerSecond = (baseline - barsTop) / Math.max(MIN_SCALE_S, ...days.map((d) => zone2PlusSeconds(d.zoneSeconds)));
  let svg = rect(box.x, baseline, 28 * columnW, 2);
  let weekStart = -1;
  let weekSeconds = 0;
  const closeWeek = (end: number) => {
    if (weekStart < 0) return;
    const x = box.x + (28 - days.length + weekStart) * columnW;
    text.push(textAt({ x, y: box.y + LABEL_H, w: (end - weekStart) * columnW, h: WEEK_LABEL_H - 2 }, hoursOneDecimal(weekSeconds), { size: 20, align: "center" }));
  };
  days.forEach((day, i) => {
    const column = box.x + (28 - days.length + i) * columnW;
    if (weekdayOfDate(day.date) === "Mon" || i === 0) {
      closeWeek(i);
      weekStart = i;
      weekSeconds = 0;
      if (i > 0) svg += rect(column - 1, barsTop, 2, baseline - barsTop);
    }
    weekSeconds += zone2PlusSeconds(day.zoneSeconds);
    const z = day.zoneSeconds;
    const bar: Box = { x: column + 3, y: barsTop, w: columnW - 6, h: baseline - barsTop };
    svg += stackedBar(bar, "up", (["z5", "z4", "z3", "z2"] as const).map((zone) => ({ zone, seconds: z[zone] })), pxPerSecond).svg;
  });
  closeWeek(days.length);
  return layer(text, svg);
}

/** The resting rate, one point a day, with the first and last value written beside the line. */
function restingTrend(box: Box, month: MonthDay[]): Layer {
  const text: Element[] = [textAt({ x: box.x, y: box.y, w: box.w, h: LABEL_H - 4 }, "RESTING · 4 WEEKS", { size: 22 })];
  const points = month.flatMap((d, i) => (d.restingHr === null ? [] : [{ ts: i, bpm: d.restingHr }]));
  const lineBox: Box = { x: box.x + 48, y: box.y + LABEL_H + 12, w: box.w - 96, h: box.h - LABEL_H - 24 };
  const line = sparkline(points, 0, Math.max(1, month.length - 1), lineBox);
  if (!line) return layer([...text, textAt(lineBox, "no resting rate", { size: 22, align: "center" })]);
  const first = points[0]!;
  const last = points.at(-1)!;
  text.push(
    textAt({ x: box.x, y: line.yOf(first.bpm) - 11, w: 44, h: 24 }, String(Math.round(first.bpm)), { size: 20, align: "right" }),
    textAt({ x: box.x + box.w - 44, y: line.yOf(last.bpm) - 11, w: 44, h: 24 }, String(Math.round(last.bpm)), { size: 20 }),
  );
  return layer(text, line.svg);
}

export function monthPanel(box: Box, month: MonthDay[]): Layer {
  const restW = Math.round(box.w * 0.34);
  const bars = monthBars({ ...box, w: box.w - restW - REST_GAP }, month);
  const rest = restingTrend({ ...box, x: box.x + box.w - restW, w: restW }, month);
  return layer([...bars.text, ...rest.text], bars.svg + rect(box.x + box.w - restW - REST_GAP / 2, box.y, 2, box.h) + rest.svg);
}
