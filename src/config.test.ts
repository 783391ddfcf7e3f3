import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, loadOfflineConfig, loadZoneProfile } from "./config";

const base = { AUTH_TOKEN: "a".repeat(20), SECRET_PATH: "hook-secret" };
const errorOf = (env: Record<string, string>, files: Record<string, string> = {}) => {
  try {
    loadConfig(env, (path) => files[path] ?? (() => { throw new Error("ENOENT"); })());
    return null;
  } catch (err) {
    return err instanceof ConfigError ? err.message : String(err);
  }
};

describe("config", () => {
  test("defaults", () => {
    const config = loadConfig(base);
    expect({ host: config.host, port: config.port, dataDir: config.dataDir, user: config.userLabel, zones: config.zones, vm: config.vmWriteUrl }).toEqual({
      host: "127.0.0.1",
      port: 8000,
      dataDir: "./data",
      user: "me",
      zones: { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] },
      vm: null,
    });
  });

  test("each bad value names its variable", () => {
    expect(errorOf({ SECRET_PATH: "x" })).toStartWith("config: AUTH_TOKEN:");
    expect(errorOf({ ...base, AUTH_TOKEN: "short" })).toStartWith("config: AUTH_TOKEN:");
    expect(errorOf({ ...base, PORT: "80.5" })).toStartWith("config: PORT:");
    expect(errorOf({ ...base, ZONE_BOUNDS: "0.7,0.6,0.8,0.9" })).toStartWith("config: ZONE_BOUNDS:");
    expect(errorOf({ ...base, VM_URL: "vm:8428" })).toStartWith("config: VM_URL:");
    expect(errorOf({ ...base, SECRET_PATH: "../etc" })).toStartWith("config: SECRET_PATH:");
    expect(errorOf({ ...base, ZONES_MODE: "karvonen", RHR: "210" })).toStartWith("config: RHR:");
  });

  test("the weekly goal is read under the issue's name too", () => {
    expect(loadConfig({ ...base, WEEKLY_Z2_GOAL_H: "5" }).trmnl.weeklyZ2GoalH).toBe(5);
    expect(loadConfig({ ...base, TRMNL_Z2_GOAL_H: "4", WEEKLY_Z2_GOAL_H: "5" }).trmnl.weeklyZ2GoalH).toBe(4);
  });

  test("DEV=1 allows running without a token", () => {
    const config = loadConfig({ DEV: "1" });
    expect([config.authToken, config.secretPath, config.access.map((a) => a.user)]).toEqual(["dev", "dev", ["me"]]);
  });

  test("VM_URL serves both directions unless a cluster's write and read URLs are given", () => {
    const single = loadConfig({ ...base, VM_URL: "http://vm:8428/" });
    const cluster = loadConfig({ ...base, VM_WRITE_URL: "http://vminsert:8480/insert/0/prometheus", VM_READ_URL: "http://vmselect:8481/select/0/prometheus" });
    expect([single.vmWriteUrl, single.vmReadUrl, cluster.vmWriteUrl, cluster.vmReadUrl]).toEqual([
      "http://vm:8428",
      "http://vm:8428",
      "http://vminsert:8480/insert/0/prometheus",
      "http://vmselect:8481/select/0/prometheus",
    ]);
  });

  test("TOKENS_FILE maps tokens to people and their zones", () => {
    const file = `# household\n${"b".repeat(20)} alice HR_MAX=190 ZONES_MODE=karvonen RHR=50\n${"c".repeat(20)} bob\n`;
    const config = loadConfig({ SECRET_PATH: "s", TOKENS_FILE: "/t" }, () => file);
    expect(config.access.map((a) => [a.user, a.zones.mode, a.zones.hrMax, a.zones.rhr])).toEqual([
      ["alice", "karvonen", 190, 50],
      ["bob", "max", 200, 60],
    ]);
    expect(errorOf({ ...base, TOKENS_FILE: "/t" }, { "/t": "short alice" })).toStartWith("config: TOKENS_FILE line 1:");
    expect(errorOf({ ...base, TOKENS_FILE: "/t" }, { "/t": `${"d".repeat(20)} al\"ice` })).toContain("USER_LABEL");
    expect(errorOf({ ...base, TOKENS_FILE: "/missing" })).toStartWith("config: TOKENS_FILE: cannot read");
    // two phones of one person are fine; one person with two sets of zones is not
    const twoPhones = `${"e".repeat(20)} me\n${"f".repeat(20)} me\n`;
    expect(loadConfig({ ...base, TOKENS_FILE: "/t" }, () => twoPhones).access.map((a) => a.user)).toEqual(["me", "me", "me"]);
    expect(errorOf({ ...base, TOKENS_FILE: "/t" }, { "/t": `${"e".repeat(20)} me HR_MAX=180\n` })).toContain("different zone settings");
  });

  test("STALE_AFTER_H is the one staleness setting; TRMNL_STALE_S, its older name, still works", () => {
    const stale = (env: Record<string, string>) => {
      const config = loadConfig({ ...base, ...env });
      return [config.staleAfterS, config.trmnl.staleS];
    };
    expect([stale({}), stale({ STALE_AFTER_H: "6" }), stale({ STALE_AFTER_H: "0.5" }), stale({ TRMNL_STALE_S: "7200" })]).toEqual([
      [43200, 43200],
      [21600, 21600],
      [1800, 1800],
      [7200, 7200],
    ]);
    expect(errorOf({ ...base, STALE_AFTER_H: "6", TRMNL_STALE_S: "7200" })).toBe("config: STALE_AFTER_H: replaces TRMNL_STALE_S: set one of them, not both");
    expect(errorOf({ ...base, STALE_AFTER_H: "0" })).toStartWith("config: STALE_AFTER_H: must be between");
    expect([loadConfig(base).coverageMinH, loadConfig({ ...base, COVERAGE_MIN_H: "8" }).coverageMinH]).toEqual([12, 8]);
    expect(errorOf({ ...base, COVERAGE_MIN_H: "25" })).toStartWith("config: COVERAGE_MIN_H:");
  });

  test("METRICS_TOKEN, or METRICS_TOKEN_FILE's first line (the file VictoriaMetrics' scrape job reads)", () => {
    const token = "m".repeat(24);
    expect(loadConfig(base).metricsToken).toBeNull();
    expect(loadConfig({ ...base, METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(loadConfig({ ...base, METRICS_TOKEN_FILE: "/run/secrets/metrics_token" }, () => `${token}\n`).metricsToken).toBe(token);
    expect(errorOf({ ...base, METRICS_TOKEN: "short" })).toStartWith("config: METRICS_TOKEN: must be at least 16");
    expect(errorOf({ ...base, METRICS_TOKEN_FILE: "/missing" })).toStartWith("config: METRICS_TOKEN_FILE: cannot read /missing");
    expect(errorOf({ ...base, METRICS_TOKEN: token, METRICS_TOKEN_FILE: "/t" }, { "/t": token })).toStartWith("config: METRICS_TOKEN_FILE: set METRICS_TOKEN or");
  });

  test("time zone, training load and dated zones", () => {
    const config = loadConfig({ ...base, USER_TZ: "Europe/Berlin", TRMNL_TZ: "Asia/Tokyo", LOAD_WEIGHTS: "0, 1,2,3,4", WEEKLY_GOAL_MIN: "300", ZONES_FROM: "2025-06-01" });
    expect([config.timeZone, config.trmnl.timeZone, config.load, config.zonesFrom]).toEqual(["Europe/Berlin", "Europe/Berlin", { weights: [0, 1, 2, 3, 4], weeklyGoalMin: 300 }, "2025-06-01"]);
    // the old name still sets the one time zone; defaults
    const old = loadConfig({ ...base, TRMNL_TZ: "Asia/Tokyo" });
    expect([old.timeZone, old.trmnl.timeZone, old.load, old.zonesFrom]).toEqual(["Asia/Tokyo", "Asia/Tokyo", { weights: [0, 2, 3, 4, 5], weeklyGoalMin: 150 }, null]);
    expect(errorOf({ ...base, USER_TZ: "Mars/Base" })).toStartWith("config: USER_TZ:");
    expect(errorOf({ ...base, LOAD_WEIGHTS: "1,2,3" })).toStartWith("config: LOAD_WEIGHTS:");
    expect(errorOf({ ...base, ZONES_FROM: "2025-02-30" })).toBe('config: ZONES_FROM: expected a date YYYY-MM-DD, got "2025-02-30"');
    const file = `${"b".repeat(20)} alice HR_MAX=190 ZONES_FROM=2025-06-01\n`;
    expect(loadConfig({ SECRET_PATH: "s", TOKENS_FILE: "/t" }, () => file).access.map((a) => [a.user, a.zones.hrMax, a.zonesFrom])).toEqual([["alice", 190, "2025-06-01"]]);
  });

  test("offline subcommands need neither AUTH_TOKEN nor SECRET_PATH, but keep TOKENS_FILE's people and check the rest", () => {
    const file = `${"b".repeat(20)} alice HR_MAX=190\n`;
    const config = loadOfflineConfig({ DATA_DIR: "/d", VM_URL: "http://vm:8428", TOKENS_FILE: "/t", AUTH_TOKEN: "short", METRICS_TOKEN_FILE: "/no/such/file" }, () => file);
    expect({ ...config, trmnl: undefined, zones: undefined }).toEqual({
      host: "127.0.0.1",
      port: 8000,
      authToken: "",
      access: [{ token: "b".repeat(20), user: "alice", zones: { mode: "max", hrMax: 190, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] }, zonesFrom: null }],
      secretPath: "",
      dataDir: "/d",
      userLabel: "me",
      zones: undefined,
      vmWriteUrl: "http://vm:8428",
      vmReadUrl: "http://vm:8428",
      maxBodyBytes: 256 * 1024 * 1024,
      dev: false,
      trmnl: undefined,
      metricsToken: null,
      staleAfterS: 43200,
      coverageMinH: 12,
      zonesFrom: null,
      timeZone: "UTC",
      load: { weights: [0, 2, 3, 4, 5], weeklyGoalMin: 150 },
    });
    expect(() => loadOfflineConfig({ HR_MAX: "abc" })).toThrow('config: HR_MAX: expected a number, got "abc"');
  });
});

describe("loadZoneProfile (summarize)", () => {
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
});
