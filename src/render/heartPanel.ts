// 24 h of heart rate with its extremes marked, and the resting rate beside it.
import { layer, rect, textAt, type Box, type Element, type Layer } from "./element";
import { sparkline, type HeartRatePoint } from "./sparkline";

const AXIS_W = 50;
const LABEL_H = 24;
const REST_W = 150;

/** A 2 px dotted guide across the chart at one bpm level. */
function dottedLine(x: number, y: number, w: number): string {
  let svg = "";
  for (let dx = 0; dx + 2 <= w; dx += 8) svg += rect(x + dx, y, 4, 2);
  return svg;
}

const dot = (x: number, y: number, r: number, fill: string) =>
  `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" stroke="black" stroke-width="3"/>`;

/** Zone bands behind the line, z2 lightest to z5: greys of the X's 16 (k×17), light enough for the black line on top. */
const BAND_GREYS = ["#eeeeee", "#dddddd", "#cccccc", "#bbbbbb"];

// drawn after the text layer (chart SVG sits on top of satori's), so bands carry no labels of their own
function zoneBands(lineBox: Box, yOf: (bpm: number) => number, boundsBpm: number[]): string {
  let svg = "";
  boundsBpm.forEach((lower, i) => {
    const upper = boundsBpm[i + 1];
    const y0 = Math.max(lineBox.y, upper === undefined ? lineBox.y : yOf(upper));
    const y1 = Math.min(lineBox.y + lineBox.h, yOf(lower));
    if (y1 > y0) svg += rect(lineBox.x, y0, lineBox.w, y1 - y0, BAND_GREYS[i]);
  });
  return svg;
}

export function heartPanel(box: Box, points: HeartRatePoint[], now: number, restingHr: number | null, zoneBoundsBpm?: number[]): Layer {
  const text: Element[] = [];
  let svg = "";
  const restW = restingHr === null ? 0 : REST_W;
  const lineBox: Box = { x: box.x + AXIS_W + 8, y: box.y + LABEL_H + 10, w: box.w - AXIS_W - 8 - restW - 8, h: box.h - LABEL_H - 22 };
  text.push(textAt({ x: box.x, y: box.y, w: lineBox.w, h: LABEL_H - 2 }, "HEART RATE · 24 H", { size: 22 }));

  const line = sparkline(points, now - 24 * 3600, now, lineBox);
  if (line) {
    const { min, max } = line;
    const yMax = line.yOf(max.bpm) + 1;
    const yMin = line.yOf(min.bpm) + 1;
    if (zoneBoundsBpm) svg += zoneBands(lineBox, line.yOf, zoneBoundsBpm);
    svg += dottedLine(lineBox.x, yMax, lineBox.w) + dottedLine(lineBox.x, yMin, lineBox.w);
    svg += line.svg;
    svg += dot(max.x, max.y, 6, "black") + dot(min.x, min.y, 6, "white");
    const label = (bpm: number, y: number) =>
      textAt({ x: box.x, y: Math.round(y - 12), w: AXIS_W, h: 24 }, String(Math.round(bpm)), { size: 22, align: "right" });
    text.push(label(max.bpm, yMax), label(min.bpm, yMin));
  } else {
    text.push(textAt(lineBox, "no heart rate in the last 24 h", { size: 22, align: "center" }));
  }

  if (restingHr !== null) {
    const x = box.x + box.w - restW;
    svg += rect(x, box.y, 2, box.h);
    text.push(
      textAt({ x: x + 14, y: box.y, w: restW - 14, h: LABEL_H - 2 }, "RESTING", { size: 22 }),
      textAt({ x: x + 14, y: box.y + LABEL_H + 4, w: restW - 14, h: 64 }, String(Math.round(restingHr)), { size: 64 }),
      textAt({ x: x + 14, y: box.y + box.h - 24, w: restW - 14, h: 22 }, "bpm", { size: 22 }),
    );
  }
  return layer(text, svg);
}
