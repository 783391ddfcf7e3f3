import { describe, expect, test } from "bun:test";
import type { NightRecord, WorkoutRecord } from "../ledger/records";
import { rng } from "./store.contract";
import { sleepLines, workoutLines } from "./vm-families";
import { mergeSorted } from "./vm-lines";

/** Every point of the lines, per series: what VM holds after importing them. */
function points(lines: string[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const line of lines) {
    const { metric, values, timestamps } = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const key = JSON.stringify(Object.entries(metric).sort());
    const series = out.get(key) ?? new Map<number, number>();
    timestamps.forEach((t, i) => series.set(t, values[i]!));
    out.set(key, series);
  }
  return out;
}

describe("family lines written in slices of instants are the lines of the whole family", () => {
  const r = rng(7);
  const types = ["run", "cycle", "swim", "yoga"];
  const workouts: WorkoutRecord[] = Array.from({ length: 3000 }, (_, i) => {
    const end = 1_700_000_000 + Math.floor(r() * 5_000_000);
    return {
      id: `w${i}`,
      type: types[i % 4]!,
      name: types[i % 4]!,
      start: end - 1800,
      end,
      durationS: 1800,
      distanceKm: r() < 0.2 ? null : r() < 0.01 ? Infinity : Math.round(r() * 20),
      activeEnergyKcal: r() < 0.3 ? null : Math.round(r() * 600),
      avgHeartRate: r() < 0.5 ? null : 120 + Math.round(r() * 40),
      maxHeartRate: null,
    };
  });
  const nights: NightRecord[] = Array.from({ length: 800 }, (_, i) => {
    const end = 1_700_000_000 + i * 86_400 + Math.floor(r() * 3600);
    return { source: "watch", start: end - 8 * 3600, end, stageSeconds: { deep: 3600, core: 14_400, rem: 5400, awake: 600, asleep: 0, in_bed: 0 } };
  });

  const sliced = <T>(instants: number[], size: number, build: (part: number[]) => string[]) => {
    const lines: string[] = [];
    for (let i = 0; i < instants.length; i += size) lines.push(...build(instants.slice(i, i + size)));
    return lines;
  };

  test("workouts: counters carry everything before the slice, gauges only the slice's own", () => {
    // instants: every end, plus some that hold no workout (pre-points, instants of older generations)
    const instants = mergeSorted(workouts.map((w) => w.end), workouts.slice(0, 200).map((w) => w.end - 1));
    const labels = [...types].sort();
    const whole = points(workoutLines("me", workouts, instants, labels, 3));
    for (const size of [1, 7, 2000]) expect(points(sliced(instants, size, (part) => workoutLines("me", workouts, part, labels, 3)))).toEqual(whole);
    // and the totals are right: the last point of workouts_total{type="run"} counts the runs
    const runs = [...whole.entries()].find(([key]) => key.includes('"workouts_total"') && key.includes('"run"'))![1];
    expect(Math.max(...runs.values()) - 1e9).toBe(workouts.filter((w) => w.type === "run").length);
  });

  test("nights: per-stage counters and per-night gauges", () => {
    const instants = mergeSorted(nights.map((n) => n.end));
    const labels = ["asleep", "awake", "core", "deep", "in_bed", "rem"];
    const whole = points(sleepLines("me", nights, instants, labels, 1));
    for (const size of [1, 13, 2000]) expect(points(sliced(instants, size, (part) => sleepLines("me", nights, part, labels, 1)))).toEqual(whole);
  });
});
