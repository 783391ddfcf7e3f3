// The number that matters, readable across the room: hours in zone 2 and above since Monday.
import { FONT_FAMILY } from "./font";
import { h, layer, rect, textAt, type Box, type Layer } from "./element";
import { hoursOneDecimal } from "./format";
import { stackedBar, type Part } from "./zoneFills";
import type { DashboardData, ZoneSeconds } from "./dashboard";

export const zone2PlusSeconds = (z: ZoneSeconds) => z.z2 + z.z3 + z.z4 + z.z5;

const LABEL_H = 26;
const BAR_H = 36;
const UNIT_SIZE = 40;
const UNIT_GAP = 12;

/** Width estimate in px for bold Inter at `size`: generous, so text measured with it always fits. */
const textWidth = (text: string, size: number) =>
  [...text].reduce((w, c) => w + (c === "." || c === " " ? 0.3 : c === "/" ? 0.42 : 0.62), 0) * size;

const TRAINING_H = 26;

/** "form −5 · goal 70/150 min": today's TSB, signed, and the week's moderate-equivalent minutes. */
export function trainingLine(training: NonNullable<DashboardData["training"]>): string {
  const form = Math.round(training.tsb);
  return `form ${form > 0 ? "+" : form < 0 ? "\u2212" : ""}${Math.abs(form)} \u00b7 goal ${Math.floor(training.weekMin)}/${training.goalMin} min`;
}

export function weekPanel(box: Box, week: ZoneSeconds, goalH: number | undefined, training?: DashboardData["training"]): Layer {
  const seconds = zone2PlusSeconds(week);
  const numeralH = box.h - LABEL_H - BAR_H - 16 - (training ? TRAINING_H : 0);
  const figure = hoursOneDecimal(seconds);
  const unit = goalH ? `/ ${goalH} h` : "h";
  // Inter Bold is about 0.6 em a digit and 0.3 em a point: the numeral shrinks before the unit would wrap
  const room = box.w - UNIT_GAP - textWidth(unit, UNIT_SIZE);
  const numeralSize = Math.floor(Math.min(150, numeralH * 1.05, room / textWidth(figure, 1)));
  const numeral = h(
    "div",
    {
      position: "absolute",
      left: box.x,
      top: box.y + LABEL_H,
      width: box.w,
      height: numeralH,
      display: "flex",
      alignItems: "flex-end",
      fontFamily: FONT_FAMILY,
      fontWeight: 700,
      lineHeight: 1,
    },
    [
      // both sit at the bottom of their line boxes; the unit is nudged up onto the numeral's baseline
      h("div", { fontSize: numeralSize, letterSpacing: -numeralSize * 0.04, whiteSpace: "nowrap" }, figure),
      h("div", { fontSize: UNIT_SIZE, marginLeft: UNIT_GAP, marginBottom: Math.round(numeralSize * 0.06), whiteSpace: "nowrap" }, unit),
    ],
  );

  const bar: Box = { x: box.x, y: box.y + box.h - BAR_H, w: box.w, h: BAR_H };
  const parts: Part[] = (["z5", "z4", "z3", "z2"] as const).map((zone) => ({ zone, seconds: week[zone] }));
  const goalS = (goalH ?? 0) * 3600;
  const scaleS = Math.max(goalS, seconds, 1);
  let svg = "";
  if (goalS > 0) {
    // the goal is the bar's outline while it is ahead, and a tall tick once passed
    const goalX = bar.x + Math.round((goalS / scaleS) * bar.w);
    svg += rect(bar.x, bar.y, bar.w, 2) + rect(bar.x, bar.y + bar.h - 2, bar.w, 2) + rect(bar.x, bar.y, 2, bar.h);
    svg += stackedBar(bar, "right", parts, bar.w / scaleS).svg;
    svg += rect(goalX - 4, bar.y - 8, 4, bar.h + 16);
    if (seconds > goalS) svg += rect(goalX - 3, bar.y + 2, 2, bar.h - 4, "white"); // visible across solid z5
  } else {
    svg += stackedBar(bar, "right", parts, bar.w / scaleS).svg;
  }
  const text = [textAt({ x: box.x, y: box.y, w: box.w, h: LABEL_H - 4 }, "ZONE 2+ THIS WEEK", { size: 22 }), numeral];
  if (training) text.push(textAt({ x: box.x, y: bar.y - 12 - TRAINING_H, w: box.w, h: TRAINING_H }, trainingLine(training), { size: 22 }));
  return layer(text, svg);
}
