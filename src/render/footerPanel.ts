// Last workout, last night's sleep and when the data last arrived: two lines each, bold, cut to fit.
import { layer, textAt, type Box, type Layer } from "./element";
import { duration, shortDuration, when } from "./format";
import type { DashboardData } from "./dashboard";

/** A headline over a detail line, splitting the box between them by font size. */
function twoLines(box: Box, first: string, second: string, sizes = [24, 20], reverse = false): Layer {
  const firstH = Math.round((box.h * sizes[0]!) / (sizes[0]! + sizes[1]!));
  return layer([
    textAt({ x: box.x, y: box.y, w: box.w, h: firstH }, first, { size: sizes[0]!, reverse }),
    textAt({ x: box.x, y: box.y + firstH, w: box.w, h: box.h - firstH }, second, { size: sizes[1]!, reverse }),
  ]);
}

export function workoutCell(box: Box, workout: DashboardData["lastWorkout"], now: number, timeZone: string): Layer {
  if (!workout) return twoLines(box, "No workout", "in the data yet");
  const details = [when(workout.start, now, timeZone), shortDuration(workout.durationS)];
  if (workout.avgHr !== undefined) details.push(`avg ${Math.round(workout.avgHr)} bpm`);
  return twoLines(box, workout.name.trim() || "Workout", details.join(" · "));
}

export function sleepCell(box: Box, sleep: DashboardData["lastSleep"]): Layer {
  if (!sleep) return twoLines(box, "No sleep", "in the data yet");
  const stages = [sleep.deepS !== undefined && `deep ${shortDuration(sleep.deepS)}`, sleep.remS !== undefined && `REM ${shortDuration(sleep.remS)}`];
  return twoLines(box, `Slept ${duration(sleep.asleepS)}`, stages.filter(Boolean).join(" · ") || "last night");
}

/** "synced 14:05"; reversed, white on black, once the data is older than `staleAfterS`. */
export function syncCell(box: Box, lastSync: number | null, now: number, timeZone: string, staleAfterS: number): Layer {
  const stale = lastSync === null || now - lastSync > staleAfterS;
  const time = lastSync === null ? "never" : when(lastSync, now, timeZone);
  const inset = stale ? 10 : 0;
  const cell = twoLines({ x: box.x + inset, y: box.y, w: box.w - 2 * inset, h: box.h }, "synced", time, [20, 26], stale);
  if (stale) cell.text.unshift(textAt(box, "", { size: 20, reverse: true }));
  return cell;
}
