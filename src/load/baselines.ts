// Resting heart rate and HRV against the person's own recent days. Pure.

/** The baseline is the previous this many days' values… */
export const BASELINE_DAYS = 60;
/** …and exists only with at least this many of them. */
export const BASELINE_MIN_VALUES = 14;

export interface Baseline {
  mean: number;
  sd: number;
}

export type BaselineFlag = "low" | "normal" | "high";

/**
 * For each day: the mean and standard deviation (population, ÷ n) of the values on the BASELINE_DAYS days
 * before it, or null with fewer than BASELINE_MIN_VALUES of them. `values` has one entry per consecutive day.
 */
export function baselines(values: readonly (number | null)[]): (Baseline | null)[] {
  let sum = 0;
  let squares = 0;
  let count = 0;
  return values.map((_, day) => {
    // slide the window [day − 60, day − 1]: add yesterday, drop the day that left
    const entering = values[day - 1];
    const leaving = values[day - 1 - BASELINE_DAYS];
    if (entering !== null && entering !== undefined) [sum, squares, count] = [sum + entering, squares + entering * entering, count + 1];
    if (leaving !== null && leaving !== undefined) [sum, squares, count] = [sum - leaving, squares - leaving * leaving, count - 1];
    if (count < BASELINE_MIN_VALUES) return null;
    const mean = sum / count;
    return { mean, sd: Math.sqrt(Math.max(0, squares / count - mean * mean)) };
  });
}

/** Below mean − sd is low, above mean + sd is high; no value or no baseline, no flag. */
export function flag(value: number | null, baseline: Baseline | null): BaselineFlag | null {
  if (value === null || baseline === null) return null;
  if (value < baseline.mean - baseline.sd) return "low";
  if (value > baseline.mean + baseline.sd) return "high";
  return "normal";
}
