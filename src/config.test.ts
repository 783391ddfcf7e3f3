import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, loadOfflineConfig } from "./config";

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

  test("offline subcommands need neither AUTH_TOKEN nor SECRET_PATH, but keep TOKENS_FILE's people and check the rest", () => {
    const file = `${"b".repeat(20)} alice HR_MAX=190\n`;
    const config = loadOfflineConfig({ DATA_DIR: "/d", VM_URL: "http://vm:8428", TOKENS_FILE: "/t", AUTH_TOKEN: "short" }, () => file);
    expect({ ...config, trmnl: undefined, zones: undefined }).toEqual({
      host: "127.0.0.1",
      port: 8000,
      authToken: "",
      access: [{ token: "b".repeat(20), user: "alice", zones: { mode: "max", hrMax: 190, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] } }],
      secretPath: "",
      dataDir: "/d",
      userLabel: "me",
      zones: undefined,
      vmWriteUrl: "http://vm:8428",
      vmReadUrl: "http://vm:8428",
      maxBodyBytes: 64 * 1024 * 1024,
      dev: false,
      trmnl: undefined,
    });
    expect(() => loadOfflineConfig({ HR_MAX: "abc" })).toThrow('config: HR_MAX: expected a number, got "abc"');
  });
});
