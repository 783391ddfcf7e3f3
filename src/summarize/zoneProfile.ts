// The zone model from the environment, without the server's settings: summarize needs no AUTH_TOKEN.
import { loadConfig } from "../config";
import type { ZoneProfile } from "../transform/zones";

const ZONE_VARIABLES = ["HR_MAX", "RHR", "ZONES_MODE", "ZONE_BOUNDS"] as const;

/** HR_MAX, RHR, ZONES_MODE and ZONE_BOUNDS checked exactly as `serve` checks them (ConfigError naming the variable). */
export function loadZoneProfile(env: Record<string, string | undefined>): ZoneProfile {
  const zoneEnv: Record<string, string | undefined> = { DEV: "1" };
  for (const name of ZONE_VARIABLES) zoneEnv[name] = env[name];
  return loadConfig(zoneEnv).zones;
}
