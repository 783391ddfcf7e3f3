// Plausible bounds of the numbers a record carries. A value outside them, or not finite (1e306 km is finite, its
// metres are not), never reaches the ledger or a store: the field (or the record it cannot do without) is dropped
// and counted in the hook's invalid_reasons. Heart-rate samples are bounded by the zone transform (sampleProblem).
import { MAX_BPM, MIN_BPM } from "../transform/zones";
import type { Normalized } from "./model";

export const BOUNDS = {
  /** A workout's duration and its end − start: a multi-day event fits, a decade does not. */
  workoutSeconds: [0, 7 * 86400],
  distanceKm: [0, 5000],
  energyKcal: [0, 100_000],
  /** A workout's average and maximum heart rate, as for samples. */
  workoutBpm: [MIN_BPM, MAX_BPM],
  /** Any other metric (steps, weight, HRV, temperature …), in its stored unit. */
  gauge: [-1e9, 1e9],
  /** An aggregated night's stage totals (HAE sends hours), and a night's span. */
  sleepHours: [0, 48],
  nightSeconds: [0, 48 * 3600],
  /** One sleep segment (per-segment export): a stage lasting over a day is a broken record. */
  segmentSeconds: [0, 86400],
} as const satisfies Record<string, readonly [number, number]>;

export type InvalidReason =
  | "workout_duration_out_of_range"
  | "distance_out_of_range"
  | "energy_out_of_range"
  | "workout_bpm_out_of_range"
  | "gauge_out_of_range"
  | "sleep_out_of_range";

export function within(value: number, [low, high]: readonly [number, number]): boolean {
  return Number.isFinite(value) && value >= low && value <= high;
}

export function countInvalid(out: Pick<Normalized, "invalid">, reason: InvalidReason, count = 1): void {
  const invalid = (out.invalid ??= {});
  invalid[reason] = (invalid[reason] ?? 0) + count;
}
