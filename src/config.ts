import { readFileSync } from "node:fs";
// env → typed Config; a bad value stops start-up with one line naming the variable.
import type { ZoneProfile } from "./transform/zones";

/** Who a bearer token belongs to, and that person's zones. */
export interface Access {
  token: string;
  user: string;
  zones: ZoneProfile;
  /** ZONES_FROM: the local date (in USER_TZ) from which `zones` apply; null = all history. */
  zonesFrom?: string | null;
}

export interface Config {
  host: string;
  port: number;
  authToken: string;
  /** AUTH_TOKEN (for USER_LABEL) plus every entry of TOKENS_FILE. */
  access: Access[];
  secretPath: string;
  dataDir: string;
  userLabel: string;
  zones: ZoneProfile;
  zonesFrom: string | null;
  /** VictoriaMetrics write base URL (single node: http://vm:8428; cluster: http://vminsert:8480/insert/0/prometheus). */
  vmWriteUrl: string | null;
  /** VictoriaMetrics read base URL (cluster: http://vmselect:8481/select/0/prometheus). */
  vmReadUrl: string | null;
  maxBodyBytes: number;
  dev: boolean;
  trmnl: TrmnlConfig;
  /** A second token for GET /metrics and /health details (METRICS_TOKEN or the file METRICS_TOKEN_FILE), or null. */
  metricsToken: string | null;
  /** A user with no sync for longer is stale: /health, /metrics, `status`, the TRMNL "synced" cell (STALE_AFTER_H). */
  staleAfterS: number;
  /** A day with heart rate in fewer local hours than this is a gap (COVERAGE_MIN_H). */
  coverageMinH: number;
  /** The person's IANA time zone: every local day (training load, the e-ink week) is cut in it. */
  timeZone: string;
  load: LoadConfig;
}

/** Training load (`/api/load`, VM's training_* series): zone weights for TRIMP and the weekly goal. */
export interface LoadConfig {
  /** Minutes in z1..z5 are multiplied by these (Edwards' TRIMP; z1 = 0 because all-day wear puts rest in z1). */
  weights: number[];
  /** Weekly moderate-equivalent minutes to aim for. */
  weeklyGoalMin: number;
}

/** The e-ink dashboard: what it shows, and who may fetch it. */
export interface TrmnlConfig {
  /** IANA zone for local days, Monday 00:00 and the clock on the screen. */
  timeZone: string;
  /** Devices allowed to register (BYOS /api/setup), by MAC, with the user each one shows and its image mode. */
  devices: TrmnlDevice[];
  /** Token for /trmnl/redirect and /trmnl/dashboard.png; null turns those routes off. */
  token: string | null;
  /** Base of the image URLs handed out; null = from the request's Host header. */
  baseUrl: string | null;
  refreshS: number;
  staleS: number;
  width: number;
  height: number;
  weeklyZ2GoalH: number | null;
  /** Seconds a listed device may get or bring a key: after start (never paired) or `fitstack trmnl pair MAC`. */
  pairWindowS: number;
  /** TRMNL_QUIET: local minutes of the day [start, end) when devices sleep (end < start crosses midnight). */
  quiet: { startMin: number; endMin: number } | null;
}

/** One TRMNL_DEVICES entry: `MAC[=user][:mode][:portrait]`. */
export interface TrmnlDevice {
  mac: string;
  user: string;
  /** 1bit | grey | kindle; absent = chosen from what the device sends. */
  mode?: "1bit" | "grey" | "kindle";
  portrait?: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`config: ${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const MIN_TOKEN_LENGTH = 16;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

function number(env: Env, name: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(name, `expected ${integer ? "an integer" : "a number"}, got "${raw}"`);
  }
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function zoneBounds(env: Env, name = "ZONE_BOUNDS"): number[] {
  const raw = env[name]?.trim();
  if (!raw) return [0.6, 0.7, 0.8, 0.9];
  const bounds = raw.split(",").map((part) => Number(part.trim()));
  const increasing = bounds.every((b, i) => i === 0 || b > bounds[i - 1]!);
  if (bounds.length !== 4 || bounds.some((b) => !Number.isFinite(b) || b <= 0 || b > 1.5) || !increasing) {
    throw new ConfigError(name, `expected four increasing fractions like 0.6,0.7,0.8,0.9, got "${raw}"`);
  }
  return bounds;
}

export function loadConfig(env: Env, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): Config {
  const dev = env.DEV === "1";
  const authToken = env.AUTH_TOKEN ?? "";
  const tokensFile = env.TOKENS_FILE?.trim();
  if (authToken.length < MIN_TOKEN_LENGTH && !dev && !(tokensFile && !authToken)) {
    throw new ConfigError("AUTH_TOKEN", `must be set to at least ${MIN_TOKEN_LENGTH} characters (or DEV=1 for local development)`);
  }
  const secretPath = text(env, "SECRET_PATH", dev ? "dev" : "");
  if (!secretPath) throw new ConfigError("SECRET_PATH", "must be set (the hook listens on /hook/<SECRET_PATH>)");
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(secretPath)) throw new ConfigError("SECRET_PATH", "use only letters, digits, '-' and '_'");
  const token = dev && !authToken ? "dev" : authToken;
  const config = loadSettings(env, readFile, token || null);
  return { ...config, authToken: token, secretPath, dev, metricsToken: metricsToken(env, readFile) };
}

/**
 * For subcommands that never serve HTTP (replay, render, import, status …): DATA_DIR, VM_URL, zones and TOKENS_FILE's
 * people as `serve` reads them, without asking for AUTH_TOKEN or SECRET_PATH (left empty here) nor the scraper's token.
 */
export function loadOfflineConfig(env: Env, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): Config {
  return { ...loadSettings(env, readFile, ""), authToken: "", secretPath: "", dev: false, metricsToken: null };
}

/** HR_MAX, RHR, ZONES_MODE and ZONE_BOUNDS checked as `serve` checks them: all `summarize` needs. */
export function loadZoneProfile(env: Env): ZoneProfile {
  const mode = text(env, "ZONES_MODE", "max");
  if (mode !== "max" && mode !== "karvonen") throw new ConfigError("ZONES_MODE", `expected "max" or "karvonen", got "${mode}"`);
  const hrMax = number(env, "HR_MAX", 200, 100, 250);
  const rhr = number(env, "RHR", 60, 25, 120);
  if (mode === "karvonen" && rhr >= hrMax) throw new ConfigError("RHR", `must be below HR_MAX (${hrMax})`);
  return { mode, hrMax, rhr, bounds: zoneBounds(env) };
}

function userLabel(env: Env): string {
  const label = text(env, "USER_LABEL", "me");
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(label)) throw new ConfigError("USER_LABEL", "use only letters, digits, '.', '-' and '_'");
  return label;
}

/**
 * Everything but the secrets only `serve` needs. `token`: USER_LABEL's bearer token (its Access); "" offline, where
 * USER_LABEL has none but its zones must still agree with TOKENS_FILE's; null for `serve` with TOKENS_FILE alone.
 */
function loadSettings(env: Env, readFile: (path: string) => string, token: string | null): Omit<Config, "authToken" | "secretPath" | "dev" | "metricsToken"> {
  const label = userLabel(env);
  const timeZone = userTimeZone(env);
  const trmnl = loadTrmnlConfig(env, label, timeZone);
  const zones = loadZoneProfile(env);
  const vmUrl = url(env, "VM_URL");
  const zonesFrom = dateSetting(env, "ZONES_FROM");
  const tokensFile = env.TOKENS_FILE?.trim();
  const people = tokensFile ? loadTokensFile(tokensFile, readFile, env) : [];
  const own: Access = { token: token ?? "", user: label, zones, zonesFrom };
  const listed = token === null ? people : [own, ...people];
  // two tokens may share a person (two phones), but a person has one set of zones
  for (const a of listed) {
    const first = listed.find((b) => b.user === a.user)!;
    if (JSON.stringify([first.zones, first.zonesFrom]) !== JSON.stringify([a.zones, a.zonesFrom])) {
      throw new ConfigError("TOKENS_FILE", `"${a.user}" is listed with different zone settings; give one person one set of zones`);
    }
  }
  return {
    host: text(env, "HOST", "127.0.0.1"),
    port: number(env, "PORT", 8000, 0, 65535, true),
    access: token ? [own, ...people] : people,
    dataDir: text(env, "DATA_DIR", "./data"),
    userLabel: label,
    zones,
    zonesFrom,
    vmWriteUrl: url(env, "VM_WRITE_URL") ?? vmUrl,
    vmReadUrl: url(env, "VM_READ_URL") ?? vmUrl,
    maxBodyBytes: number(env, "MAX_BODY_MB", 256, 1, 4096) * 1024 * 1024,
    trmnl,
    staleAfterS: trmnl.staleS,
    coverageMinH: number(env, "COVERAGE_MIN_H", 12, 1, 24),
    timeZone,
    load: { weights: loadWeights(env), weeklyGoalMin: number(env, "WEEKLY_GOAL_MIN", 150, 1, 10080) },
  };
}

/** METRICS_TOKEN, or the first line of METRICS_TOKEN_FILE (the file VictoriaMetrics' scrape job reads too). */
function metricsToken(env: Env, readFile: (path: string) => string): string | null {
  const file = env.METRICS_TOKEN_FILE?.trim();
  let token = env.METRICS_TOKEN?.trim() ?? "";
  let name = "METRICS_TOKEN";
  if (file) {
    if (token) throw new ConfigError("METRICS_TOKEN_FILE", "set METRICS_TOKEN or METRICS_TOKEN_FILE, not both");
    try {
      token = readFile(file).split("\n")[0]!.trim();
    } catch (err) {
      throw new ConfigError("METRICS_TOKEN_FILE", `cannot read ${file}: ${(err as Error).message}`);
    }
    name = "METRICS_TOKEN_FILE";
  }
  if (!token) return null;
  if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(name, `must be at least ${MIN_TOKEN_LENGTH} characters`);
  return token;
}

/** STALE_AFTER_H, or the older TRMNL_STALE_S (seconds) it replaces; one setting, default 12 h. */
function staleAfterS(env: Env): number {
  const hours = env.STALE_AFTER_H?.trim();
  const seconds = env.TRMNL_STALE_S?.trim();
  if (hours && seconds) throw new ConfigError("STALE_AFTER_H", "replaces TRMNL_STALE_S: set one of them, not both");
  if (seconds) return number(env, "TRMNL_STALE_S", 12 * 3600, 60, 30 * 86400, true);
  return Math.round(number(env, "STALE_AFTER_H", 12, 0.1, 30 * 24) * 3600);
}

/** A calendar date YYYY-MM-DD, or null when unset. */
function dateSetting(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (!match || new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!)).toISOString().slice(0, 10) !== raw) {
    throw new ConfigError(name, `expected a date YYYY-MM-DD, got "${raw}"`);
  }
  return raw;
}

/** USER_TZ, or TRMNL_TZ (its older name, kept working), or UTC. */
function userTimeZone(env: Env): string {
  const name = env.USER_TZ?.trim() ? "USER_TZ" : "TRMNL_TZ";
  const timeZone = text(env, name, "UTC");
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
  } catch {
    throw new ConfigError(name, `expected an IANA time zone like Europe/Berlin, got "${timeZone}"`);
  }
  return timeZone;
}

function loadWeights(env: Env): number[] {
  const raw = env.LOAD_WEIGHTS?.trim();
  if (!raw) return [0, 2, 3, 4, 5];
  const weights = raw.split(",").map((part) => Number(part.trim()));
  if (weights.length !== 5 || weights.some((w) => !Number.isFinite(w) || w < 0 || w > 100)) {
    throw new ConfigError("LOAD_WEIGHTS", `expected five weights for z1..z5 between 0 and 100 like 0,2,3,4,5, got "${raw}"`);
  }
  return weights;
}

const MAC_RE = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;

function loadTrmnlConfig(env: Env, userLabel: string, timeZone: string): TrmnlConfig {
  const devices = (env.TRMNL_DEVICES ?? "").split(",").map((entry) => entry.trim()).filter(Boolean).map((entry): TrmnlDevice => {
    // the MAC is the first 17 characters; `=user` and `:option`s follow
    const mac = entry.slice(0, 17).toUpperCase();
    const [head = "", ...options] = entry.slice(17).split(":").map((part) => part.trim());
    if (!MAC_RE.test(mac) || (head && !head.startsWith("="))) throw new ConfigError("TRMNL_DEVICES", `expected MAC addresses like AA:BB:CC:DD:EE:FF[=user][:mode], got "${entry}"`);
    const user = head.slice(1).trim() || userLabel;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(user)) throw new ConfigError("TRMNL_DEVICES", `user of ${mac}: use only letters, digits, '.', '-' and '_'`);
    const device: TrmnlDevice = { mac, user };
    for (const option of options) {
      if (option === "portrait") device.portrait = true;
      else if ((option === "1bit" || option === "grey" || option === "kindle") && !device.mode) device.mode = option;
      else throw new ConfigError("TRMNL_DEVICES", `${mac}: unknown or repeated option "${option}"; expected one of 1bit|grey|kindle and optionally portrait`);
    }
    return device;
  });
  const token = env.TRMNL_TOKEN?.trim() || null;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) throw new ConfigError("TRMNL_TOKEN", `must be at least ${MIN_TOKEN_LENGTH} characters`);
  const width = number(env, "TRMNL_WIDTH", 800, 1, 10000, true);
  const height = number(env, "TRMNL_HEIGHT", 480, 1, 10000, true);
  if (!((width === 800 && height === 480) || (width === 480 && height === 800))) {
    throw new ConfigError(env.TRMNL_WIDTH?.trim() ? "TRMNL_WIDTH" : "TRMNL_HEIGHT", `the dashboard is laid out for 800x480 or 480x800 (portrait), got ${width}x${height}`);
  }
  // the name for it, WEEKLY_Z2_GOAL_H, is taken too
  const goal = number(env, env.TRMNL_Z2_GOAL_H?.trim() ? "TRMNL_Z2_GOAL_H" : "WEEKLY_Z2_GOAL_H", 0, 0, 168);
  return {
    timeZone,
    devices,
    token,
    baseUrl: url(env, "TRMNL_BASE_URL"),
    // 0 would make the device wake in a loop; the Redirect plugin's shortest refresh is 60 s
    refreshS: number(env, "TRMNL_REFRESH_S", 900, 60, 86400, true),
    staleS: staleAfterS(env),
    width,
    height,
    weeklyZ2GoalH: goal > 0 ? goal : null,
    pairWindowS: number(env, "TRMNL_PAIR_WINDOW_S", 600, 10, 86400, true),
    quiet: quietHours(env.TRMNL_QUIET),
  };
}

/** TRMNL_QUIET=23:00-06:30 → minutes of the day; the window may cross midnight but not be empty. */
function quietHours(value: string | undefined): TrmnlConfig["quiet"] {
  const text = value?.trim();
  if (!text) return null;
  const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new ConfigError("TRMNL_QUIET", `expected HH:MM-HH:MM like 23:00-06:30, got "${text}"`);
  const [startMin, endMin] = [Number(match[1]) * 60 + Number(match[2]), Number(match[3]) * 60 + Number(match[4])];
  if (startMin === endMin) throw new ConfigError("TRMNL_QUIET", "start and end are the same time");
  return { startMin, endMin };
}

/**
 * TOKENS_FILE: one person per line, `token user [HR_MAX=… RHR=… ZONES_MODE=… ZONE_BOUNDS=… ZONES_FROM=…]`, so a household's
 * phones land in separate series with their own zones. Blank lines and `#` comments are ignored.
 */
function loadTokensFile(path: string, readFile: (path: string) => string, defaults: Env): Access[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError("TOKENS_FILE", `cannot read ${path}: ${(err as Error).message}`);
  }
  const seen = new Set<string>();
  const access: Access[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const where = `TOKENS_FILE line ${index + 1}`;
    const [token = "", user = "", ...settings] = line.split(/\s+/);
    if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(where, `token must be at least ${MIN_TOKEN_LENGTH} characters`);
    if (seen.has(token)) throw new ConfigError(where, "token is listed twice");
    seen.add(token);
    const env: Env = { ...defaults, USER_LABEL: user };
    for (const setting of settings) {
      const [key = "", value = ""] = setting.split("=", 2);
      if (!["HR_MAX", "RHR", "ZONES_MODE", "ZONE_BOUNDS", "ZONES_FROM"].includes(key)) throw new ConfigError(where, `unknown setting "${key}"`);
      env[key] = value;
    }
    try {
      access.push({ token, user: userLabel(env), zones: loadZoneProfile(env), zonesFrom: dateSetting(env, "ZONES_FROM") });
    } catch (err) {
      throw new ConfigError(where, (err as Error).message.replace(/^config: /, ""));
    }
  });
  return access;
}
