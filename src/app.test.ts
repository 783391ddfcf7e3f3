import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "./app";
import { Ledger } from "./ledger/ledger";
import { createLogger } from "./log";
import { createMetrics } from "./metrics/fitstack";
import { Freshness } from "./metrics/freshness";
import { Pipeline } from "./pipeline";
import { RawLog } from "./raw/rawlog";
import { SqliteStore } from "./store/sqlite";

const TOKEN = "t0ken-for-tests-0123456789";
const SECRET = "s3cret-path";
const OTHER_TOKEN = "other-t0ken-for-tests-0123";
const METRICS_TOKEN = "metrics-t0ken-for-tests-01";
const NOW = new Date("2026-01-01T12:00:00Z");
const T0 = NOW.getTime() / 1000 - 3600;
const zones = { mode: "max" as const, hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(maxBodyBytes = 1024 * 1024) {
  const dataDir = mkdtempSync(join(tmpdir(), "fitstack-app-"));
  dirs.push(dataDir);
  const logLines: string[] = [];
  const log = createLogger((line) => logLines.push(line));
  const ledger = new Ledger(dataDir);
  const store = new SqliteStore(dataDir);
  const rawLog = new RawLog(dataDir);
  const metrics = createMetrics("test");
  const pipeline = new Pipeline({ ledger, store, rawLog, profileFor: (user) => (user === "partner" ? { ...zones, hrMax: 180 } : zones), clock: () => NOW, log, metrics });
  const freshness = new Freshness(ledger, ["me", "partner"], { staleAfterS: 12 * 3600, coverageMinH: 12, timeZone: "UTC" }, () => NOW);
  const app = createApp({
    config: {
      access: [
        { token: TOKEN, user: "me", zones },
        { token: OTHER_TOKEN, user: "partner", zones: { ...zones, hrMax: 180 } },
      ],
      secretPath: SECRET,
      maxBodyBytes,
      authToken: TOKEN,
      metricsToken: METRICS_TOKEN,
    },
    pipeline,
    store,
    clock: () => NOW,
    log,
    metrics,
    freshness,
  });
  const hook = (body: string, { token = TOKEN, secret = SECRET, headers = {} as Record<string, string> } = {}) =>
    app.handle(
      new Request(`http://localhost/hook/${secret}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        body,
      }),
    );
  const summary = async (from: number, to: number, token = TOKEN) =>
    (await (await app.handle(new Request(`http://localhost/api/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${token}` } }))).json()) as any;
  const rawLines = () =>
    readdirSync(join(dataDir, "raw")).flatMap((f) => readFileSync(join(dataDir, "raw", f), "utf8").split("\n").filter(Boolean));
  return { app, hook, summary, rawLines, logLines, dataDir, ledger };
}

const block = (n: number, bpm = 130, start = T0) =>
  JSON.stringify({ type: "heart_rate", source: "watch", samples: Array.from({ length: n }, (_, i) => ({ ts: start + 5 * i, bpm })) });

describe("hook", () => {
  test("accepts the fixture, logs it raw first and answers with what it counted", async () => {
    const { hook, summary, rawLines } = setup();
    const res = await hook(block(121));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect({ ...body, id: typeof body.id }).toEqual({
      id: "string",
      shape: "fixture",
      accepted_samples: 121,
      duplicates_dropped: 0,
      invalid_dropped: 0,
      invalid_reasons: {},
      zone_seconds_added: { z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 },
      records: { gauges: 0, nights: 0, workouts: 0, changed: 0, dropped: 0 },
      ignored: {},
      delivered: true,
    });
    const [line] = rawLines();
    expect(JSON.parse(line!)).toEqual({ id: body.id, receivedAt: NOW.toISOString(), user: "me", body: JSON.parse(block(121)) });
    expect((await summary(T0 - 1, T0 + 600)).zone_seconds.z2).toBe(600);
  });

  test("HAE's automation headers are kept with the raw entry", async () => {
    const { hook, rawLines } = setup();
    await hook(block(2), { headers: { "automation-name": "Heart", "automation-period": "Since Last Sync", "session-id": "abc", "x-other": "no" } });
    expect(JSON.parse(rawLines()[0]!).headers).toEqual({ "automation-name": "Heart", "automation-period": "Since Last Sync", "session-id": "abc" });
  });

  test("the same payload twice counts once; both are kept raw", async () => {
    const { hook, rawLines } = setup();
    await hook(block(121));
    const again = await (await hook(block(121))).json();
    expect([again.accepted_samples, again.duplicates_dropped, again.zone_seconds_added.z2, rawLines().length]).toEqual([0, 121, 0, 2]);
  });

  test("wrong or missing token → 401; wrong secret → 404 with the body of any unknown path", async () => {
    const { app, hook } = setup();
    expect((await hook(block(2), { token: "nope" })).status).toBe(401);
    const missing = await app.handle(new Request(`http://localhost/hook/${SECRET}`, { method: "POST", body: block(2) }));
    expect(missing.status).toBe(401);
    const wrongSecret = await hook(block(2), { secret: "guess" });
    const unknown = await app.handle(new Request("http://localhost/nothing-here"));
    expect([wrongSecret.status, unknown.status]).toEqual([404, 404]);
    expect(await wrongSecret.json()).toEqual(await unknown.json());
    const traversal = await hook(block(2), { secret: "..%2F..%2Fetc%2Fpasswd" });
    expect(traversal.status).toBe(404);
  });

  test("bad input gets a JSON error naming the problem, and nothing is logged raw", async () => {
    const { hook, rawLines } = setup();
    const cases: [string, number, string, string | undefined][] = [
      ["{not json", 400, "invalid_json", undefined],
      ["", 400, "empty_body", undefined],
      ['{"type":"heart_rate","samples":[{"ts":"x","bpm":1}]}', 422, "invalid_payload", "samples[0].ts"],
      ['{"type":"steps","samples":[]}', 422, "invalid_payload", "type"],
      ['{"type":"heart_rate"}', 422, "invalid_payload", "samples"],
      ["[1,2,3]", 422, "invalid_payload", undefined],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await hook(body);
      const json = await res.json();
      expect({ body, status: res.status, code: json.error.code, field: json.error.field }).toEqual({ body, status, code, field });
    }
    expect(rawLines()).toEqual([]);
  });

  test("a body over the limit is refused with 413", async () => {
    const { hook } = setup(10_000);
    const res = await hook(block(1000));
    expect([res.status, (await res.json()).error.code]).toEqual([413, "body_too_large"]);
  });

  test("bad samples are dropped and counted, the rest accepted", async () => {
    const { hook } = setup();
    const body = JSON.stringify({
      type: "heart_rate",
      samples: [{ ts: T0, bpm: 130 }, { ts: T0 + 5, bpm: 300 }, { ts: T0 * 1000, bpm: 130 }, { ts: T0 + 10, bpm: 130 }],
    });
    const json = await (await hook(body)).json();
    expect([json.accepted_samples, json.invalid_dropped, json.invalid_reasons, json.zone_seconds_added.z2]).toEqual([
      2,
      2,
      { bpm_out_of_range: 1, bad_timestamp: 1 },
      10,
    ]);
  });

  test("the token never appears in the log", async () => {
    const { hook, logLines } = setup();
    await hook(block(3));
    await hook(block(3), { token: "wrong-token-value" });
    expect(logLines.join("\n")).not.toContain(TOKEN);
    expect(logLines.join("\n")).not.toContain(SECRET);
  });
});

describe("per-person tokens", () => {
  test("a household's two phones land in separate series, each with its own zones", async () => {
    const { hook, summary } = setup();
    await hook(block(121, 130));
    await hook(block(121, 130), { token: OTHER_TOKEN });
    // 130 bpm: z2 for HR_MAX 200 (120–140), z3 for HR_MAX 180 (126–144 is z3: 0.7·180 = 126)
    expect((await summary(T0 - 1, T0 + 600)).zone_seconds).toEqual({ z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 });
    expect((await summary(T0 - 1, T0 + 600, OTHER_TOKEN)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 600, z4: 0, z5: 0 });
  });
});

describe("read API", () => {
  test("needs the token and a valid range", async () => {
    const { app } = setup();
    expect((await app.handle(new Request("http://localhost/api/summary"))).status).toBe(401);
    const get = async (query: string, token: string | null = TOKEN) => {
      const res = await app.handle(new Request(`http://localhost/api/summary${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }));
      return { status: res.status, body: (await res.json()) as any };
    };
    const error = (code: string, message: string, field: string) => ({ status: 400, body: { error: { code, message, field } } });
    expect(await get("?from=10&to=5")).toEqual(error("invalid_range", "from must be before to", "from"));
    expect(await get("?to=yesterday")).toEqual(error("invalid_query", 'to must be unix seconds, got "yesterday"', "to"));
    expect(await get("?from=1.5")).toEqual(error("invalid_query", 'from must be unix seconds, got "1.5"', "from"));
    // the token is checked before the query
    expect((await get("?to=yesterday", null)).status).toBe(401);
    // an empty parameter is an absent one: the day before now
    const now = NOW.getTime() / 1000;
    expect(await get("?from=&to=")).toMatchObject({ status: 200, body: { from: now - 86400, to: now } });
  });

  test("/ping is empty; /health gives an anonymous caller the status alone and a bearer caller the details", async () => {
    const { app, hook } = setup();
    const ping = await app.handle(new Request("http://localhost/ping"));
    expect([ping.status, await ping.text()]).toEqual([200, ""]);
    const get = async (token?: string) => {
      const res = await app.handle(new Request("http://localhost/health", token ? { headers: { authorization: `Bearer ${token}` } } : {}));
      return { status: res.status, body: (await res.json()) as any };
    };
    expect(await get()).toEqual({ status: 200, body: { status: "ok" } });
    expect((await hook(JSON.stringify({ type: "heart_rate", source: "w", samples: [{ ts: T0, bpm: 80 }] }))).status).toBe(200);
    const me = { user: "me", last_sync: NOW.getTime() / 1000, age_s: 0, stale: false, gap_dates: [] };
    const partner = { user: "partner", last_sync: null, age_s: null, stale: false, gap_dates: [] };
    const details = { status: "ok", version: "test", store: { kind: "sqlite", reachable: true }, backlog: { users: 0, oldest_pending: null }, stale_after_s: 43200 };
    const operator = await get(METRICS_TOKEN);
    expect({ ...operator, body: { ...operator.body, version: "test" } }).toEqual({ status: 200, body: { ...details, users: [me, partner] } });
    // a person's own token shows that person only
    const own = await get(OTHER_TOKEN);
    expect({ ...own, body: { ...own.body, version: "test" } }).toEqual({ status: 200, body: { ...details, users: [partner] } });
    expect((await get("wrong-token-0123456789")).status).toBe(401);
  });

  test("/health is stale once a user's last sync is older than STALE_AFTER_H", async () => {
    const { app, ledger } = setup();
    ledger.setMeta("last_sync:me", String(NOW.getTime() / 1000 - 12 * 3600 - 1));
    const res = await app.handle(new Request("http://localhost/health"));
    expect([res.status, await res.json()]).toEqual([200, { status: "stale" }]);
  });
});

describe("/metrics", () => {
  const scrape = async (app: ReturnType<typeof setup>["app"], token?: string) =>
    app.handle(new Request("http://localhost/metrics", token ? { headers: { authorization: `Bearer ${token}` } } : {}));

  test("needs AUTH_TOKEN or METRICS_TOKEN; a person's token is not enough", async () => {
    const { app } = setup();
    expect([(await scrape(app)).status, (await scrape(app, OTHER_TOKEN)).status]).toEqual([401, 401]);
    const res = await scrape(app, METRICS_TOKEN);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8"]);
    expect((await scrape(app, TOKEN)).status).toBe(200);
  });

  test("counts what the hook accepted, dropped and delivered", async () => {
    const { app, hook } = setup();
    // 3 valid samples, one of them sent twice in a second post, one bpm out of range, one far in the future
    const samples = [{ ts: T0, bpm: 80 }, { ts: T0 + 5, bpm: 90 }, { ts: T0 + 10, bpm: 100 }, { ts: T0 + 15, bpm: 300 }, { ts: T0 + 10 * 86400, bpm: 80 }];
    const first = JSON.stringify({ type: "heart_rate", source: "w", samples });
    const second = JSON.stringify({ type: "heart_rate", source: "w", samples: [{ ts: T0, bpm: 80 }] });
    expect([(await hook(first)).status, (await hook(second)).status]).toEqual([200, 200]);
    const text = await (await scrape(app, METRICS_TOKEN)).text();
    const value = (series: string) => text.split("\n").find((line) => line.startsWith(`${series} `))?.split(" ")[1];
    expect({
      bytes: value("fitstack_hook_received_bytes_total"),
      accepted: value('fitstack_hook_samples_total{outcome="accepted"}'),
      duplicate: value('fitstack_hook_samples_total{outcome="duplicate"}'),
      invalid: value('fitstack_hook_samples_total{outcome="invalid"}'),
      range: value('fitstack_hook_invalid_samples_total{reason="bpm_out_of_range"}'),
      future: value('fitstack_hook_invalid_samples_total{reason="bad_timestamp"}'),
      hooks: value("fitstack_hook_duration_seconds_count"),
      fsyncs: value("fitstack_raw_fsync_duration_seconds_count"),
      attempts: value('fitstack_delivery_attempts_total{store="sqlite"}'),
      failures: value('fitstack_delivery_failures_total{store="sqlite"}'),
      version: value('fitstack_build_info{version="test"}'),
    }).toEqual({
      bytes: String(first.length + second.length),
      accepted: "3",
      duplicate: "1",
      invalid: "2",
      range: "1",
      future: "1",
      hooks: "2",
      fsyncs: "2",
      attempts: "2",
      failures: "0",
      version: "1",
    });
    expect(Number(value("process_resident_memory_bytes"))).toBeGreaterThan(1e6);
    // nothing from the payload becomes a label: not the source, not the secret path
    expect(text).not.toContain('"w"');
    expect(text).not.toContain(SECRET);
  });
});
