// The last seven days as stacked zone bars, z5 at the foot, with a legend of the textures.
import { layer, rect, textAt, type Box, type Element, type Layer } from "./element";
import { barHours, weekdayOfDate } from "./format";
import { stackedBar, swatch, ZONE_KEYS } from "./zoneFills";
import type { ZoneSeconds } from "./dashboard";

const LABEL_H = 26;
const VALUE_H = 24;
const DAY_H = 28;
const LEGEND_W = 72;
/** Bars never scale below an hour, so a ten-minute week does not look like a big one. */
const MIN_SCALE_S = 3600;

const total = (z: ZoneSeconds) => z.z1 + z.z2 + z.z3 + z.z4 + z.z5;

export function daysPanel(box: Box, days: { date: string; zoneSeconds: ZoneSeconds }[], today: string): Layer {
  const text: Element[] = [textAt({ x: box.x, y: box.y, w: box.w, h: LABEL_H - 4 }, "LAST 7 DAYS", { size: 22 })];
  let svg = "";

  const chart: Box = { x: box.x, y: box.y + LABEL_H, w: box.w - LEGEND_W, h: box.h - LABEL_H };
  const columnW = Math.floor(chart.w / 7);
  const barW = columnW - 14;
  const baseline = chart.y + chart.h - DAY_H - 2;
  const barsTop = chart.y + VALUE_H;
  const shown = days.slice(-7);
  const pxPerSecond = (baseline - barsTop) / Math.max(MIN_SCALE_S, ...shown.map((d) => total(d.zoneSeconds)));
  svg += rect(chart.x, baseline, 7 * columnW, 2);

  shown.forEach((day, i) => {
    const column = chart.x + (7 - shown.length + i) * columnW; // newest on the right, even with fewer days
    const z = day.zoneSeconds;
    const bar: Box = { x: column + 7, y: barsTop, w: barW, h: baseline - barsTop };
    const drawn = stackedBar(bar, "up", (["z5", "z4", "z3", "z2", "z1"] as const).map((zone) => ({ zone, seconds: z[zone] })), pxPerSecond);
    svg += drawn.svg;
    const barTop = baseline - drawn.length;
    const value = barHours(total(z));
    if (value) text.push(textAt({ x: column - 4, y: barTop - VALUE_H, w: columnW + 8, h: VALUE_H - 2 }, value, { size: 20, align: "center" }));
    const isToday = day.date === today;
    const dayBox = { x: column + 4, y: baseline + 4, w: columnW - 8, h: DAY_H - 2 };
    text.push(textAt(dayBox, weekdayOfDate(day.date).slice(0, 2), { size: 20, align: "center", reverse: isToday }));
  });

  // legend: z1 on top as in the bars, each texture beside its name
  const legendX = box.x + box.w - LEGEND_W + 10;
  const rowH = Math.min(34, Math.floor((baseline - barsTop) / 5));
  [...ZONE_KEYS].reverse().forEach((zone, i) => {
    const y = barsTop + i * rowH;
    svg += swatch({ x: legendX, y, w: 22, h: 22 }, zone);
    text.push(textAt({ x: legendX + 27, y: y - 1, w: LEGEND_W - 37, h: 24 }, zone.toUpperCase(), { size: 20 }));
  });
  return layer(text, svg);
}
