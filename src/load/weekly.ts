// Weekly minutes against the activity guideline (150–300 moderate minutes, a vigorous minute counts twice). Pure.
import type { ZoneSeconds } from "../transform/zones";

export interface WeekMinutes {
  /** Minutes in z2..z5. */
  z2plus: number;
  /** (z2 + z3) + 2 × (z4 + z5), in minutes. */
  moderateEq: number;
}

export function weekMinutes(zoneSeconds: ZoneSeconds): WeekMinutes {
  const { z2, z3, z4, z5 } = zoneSeconds;
  return { z2plus: (z2 + z3 + z4 + z5) / 60, moderateEq: (z2 + z3 + 2 * (z4 + z5)) / 60 };
}
