import { expect, test } from "bun:test";
import { ConfigError } from "../config";
import { loadZoneProfile } from "./zoneProfile";

test("reads the zone variables without AUTH_TOKEN or SECRET_PATH", () => {
  expect(loadZoneProfile({ HR_MAX: "190", RHR: "50", ZONES_MODE: "karvonen", ZONE_BOUNDS: "0.5,0.6,0.7,0.8" })).toEqual({
    mode: "karvonen",
    hrMax: 190,
    rhr: 50,
    bounds: [0.5, 0.6, 0.7, 0.8],
  });
  expect(loadZoneProfile({})).toEqual({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
});

test("a bad zone variable fails naming it; other settings are not looked at", () => {
  expect(() => loadZoneProfile({ HR_MAX: "abc" })).toThrow(ConfigError);
  expect(() => loadZoneProfile({ HR_MAX: "abc" })).toThrow("HR_MAX");
  expect(loadZoneProfile({ PORT: "not a port", VM_URL: "ftp://x" }).hrMax).toBe(200);
});
