// The TRMNL_* variables as loadConfig reads them (src/config.ts); each bad value names its variable.
import { expect, test } from "bun:test";
import { loadConfig } from "../config";

test("defaults, and a full set", () => {
  expect(loadConfig({ DEV: "1" }).trmnl).toEqual({ timeZone: "UTC", devices: [], token: null, baseUrl: null, refreshS: 900, staleS: 43200, width: 800, height: 480, weeklyZ2GoalH: null, pairWindowS: 600, quiet: null });
  const env = {
    DEV: "1",
    USER_LABEL: "ann",
    TRMNL_TZ: "Europe/Berlin",
    TRMNL_DEVICES: "aa:bb:cc:dd:ee:ff, 11:22:33:44:55:66=bob, 11:22:33:44:55:77=me:grey, 11:22:33:44:55:88:kindle, 11:22:33:44:55:99:grey:portrait",
    TRMNL_TOKEN: "0123456789abcdef",
    TRMNL_BASE_URL: "http://192.168.1.20:8000/",
    TRMNL_REFRESH_S: "1800",
    TRMNL_STALE_S: "7200",
    TRMNL_WIDTH: "480",
    TRMNL_HEIGHT: "800",
    TRMNL_Z2_GOAL_H: "4.5",
    TRMNL_PAIR_WINDOW_S: "120",
    TRMNL_QUIET: "23:00-06:30",
  };
  expect(loadConfig(env).trmnl).toEqual({
    timeZone: "Europe/Berlin",
    devices: [
      { mac: "AA:BB:CC:DD:EE:FF", user: "ann" },
      { mac: "11:22:33:44:55:66", user: "bob" },
      { mac: "11:22:33:44:55:77", user: "me", mode: "grey" },
      { mac: "11:22:33:44:55:88", user: "ann", mode: "kindle" },
      { mac: "11:22:33:44:55:99", user: "ann", mode: "grey", portrait: true },
    ],
    token: "0123456789abcdef",
    baseUrl: "http://192.168.1.20:8000",
    refreshS: 1800,
    staleS: 7200,
    width: 480,
    height: 800,
    weeklyZ2GoalH: 4.5,
    pairWindowS: 120,
    // minutes of the day: 23 × 60 and 6 × 60 + 30
    quiet: { startMin: 1380, endMin: 390 },
  });
});

test("each bad value names its variable", () => {
  const bad: [Record<string, string>, string][] = [
    [{ TRMNL_TZ: "Mars/Base" }, "TRMNL_TZ"],
    [{ TRMNL_DEVICES: "AA-BB-CC-DD-EE-FF" }, "TRMNL_DEVICES"],
    [{ TRMNL_DEVICES: "AA:BB:CC:DD:EE:FF=two words" }, "TRMNL_DEVICES"],
    [{ TRMNL_DEVICES: "AA:BB:CC:DD:EE:FF:colour" }, "TRMNL_DEVICES"],
    [{ TRMNL_DEVICES: "AA:BB:CC:DD:EE:FF:grey:1bit" }, "TRMNL_DEVICES"],
    [{ TRMNL_DEVICES: "AA:BB:CC:DD:EE:FFX" }, "TRMNL_DEVICES"],
    [{ TRMNL_QUIET: "23:00" }, "TRMNL_QUIET"],
    [{ TRMNL_QUIET: "24:00-06:00" }, "TRMNL_QUIET"],
    [{ TRMNL_QUIET: "06:00-06:00" }, "TRMNL_QUIET"],
    [{ TRMNL_TOKEN: "short" }, "TRMNL_TOKEN"],
    [{ TRMNL_BASE_URL: "ftp://x" }, "TRMNL_BASE_URL"],
    [{ TRMNL_REFRESH_S: "0" }, "TRMNL_REFRESH_S"],
    [{ TRMNL_REFRESH_S: "900.5" }, "TRMNL_REFRESH_S"],
    [{ TRMNL_STALE_S: "abc" }, "TRMNL_STALE_S"],
    [{ TRMNL_PAIR_WINDOW_S: "0" }, "TRMNL_PAIR_WINDOW_S"],
    [{ TRMNL_WIDTH: "1024" }, "TRMNL_WIDTH"],
    [{ TRMNL_HEIGHT: "600" }, "TRMNL_HEIGHT"],
  ];
  for (const [env, variable] of bad) expect(() => loadConfig({ DEV: "1", ...env })).toThrow(`config: ${variable}: `);
});
