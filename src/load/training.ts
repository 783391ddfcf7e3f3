// Training load from zone seconds: Edwards' TRIMP per day, fatigue (ATL), fitness (CTL) and form (TSB). Pure.
import { ZONES, type ZoneSeconds } from "../transform/zones";

/** Days over which fatigue (acute) and fitness (chronic) load average. */
export const ATL_DAYS = 7;
export const CTL_DAYS = 42;

export interface LoadPoint {
  trimp: number;
  atl: number;
  ctl: number;
  tsb: number;
}

/** Σ weight_z × minutes in z (weights for z1..z5). */
export function trimp(zoneSeconds: ZoneSeconds, weights: readonly number[]): number {
  return ZONES.reduce((sum, zone, i) => sum + (weights[i] ?? 0) * zoneSeconds[zone], 0) / 60;
}

/**
 * atl(d) = atl(d−1) + (trimp(d) − atl(d−1)) / 7, ctl likewise over 42 days, tsb = ctl − atl, all from 0 on the
 * first day given (or from `before`: the state at the end of the day before it). Days before a person's first heart
 * rate have trimp 0 and leave both at 0, so starting the sequence on any day up to that first one gives the same numbers.
 */
export function loadCurve(dailyTrimp: readonly number[], before: { atl: number; ctl: number } = { atl: 0, ctl: 0 }): LoadPoint[] {
  let { atl, ctl } = before;
  return dailyTrimp.map((t) => {
    atl += (t - atl) / ATL_DAYS;
    ctl += (t - ctl) / CTL_DAYS;
    return { trimp: t, atl, ctl, tsb: ctl - atl };
  });
}
