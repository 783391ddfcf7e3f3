// Hostile input against the real server, on the embedded store and on a real VictoriaMetrics: every body
// gets a clear 4xx JSON error or is accepted with its bad samples counted; the server never goes down;
// accepted data stays exact; nothing reaches VM as a foreign series or label; secrets never reach the log.
// Static cases live in tests/hostile/ (fixed times on 2025-06-01); the rest are generated here.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureBlock, hookClient, rawEntries, runReplay, zones } from "../support/hook";
import { startServer, waitFor, type ServerProcess } from "../support/process";
import { onBothStores, type VmProcess } from "../support/vm";

const TOKEN = "hostile-token-0123456789abcdef";
const SECRET = "hostile-secret";
const USER = "hostile";
const CORPUS = new URL("../hostile/", import.meta.url).pathname;

// Timeline (HR_MAX=200: z2 from 120, z3 140, z4 160, z5 180 bpm). Everything accepted sits in its own slot,
// more than 10 s from any other, so each slot's first sample earns 10 s and the others their gaps.
const H0 = 1748736000; // 2025-06-01T00:00:00Z: the baseline block, the start of the history
const slot = (k: number) => H0 + k * 3600;
const BIG_START = H0 + 86_400;
const BIG_N = 1_000_000;
const FROM = H0 - 60;
const TO = BIG_START + BIG_N - 1;
// baseline 600 (z2) + bom 10 + injection-source 20 + invalid-samples 20 + the 10^6 block 10 + 999 999 (z2);
// duplicate-keys 15 + unicode-labels 20 + text/plain 20 (z3); injection-hae-source 20 (z4); hae dates 10 (z5)
const FINAL = zones({ z2: 1_000_659, z3: 55, z4: 20, z5: 10 });

type Expected =
  | { status: 400 | 404 | 413 | 415 | 422 | "4xx"; code?: string; field?: string }
  | { status: 200; accepted: number; duplicates?: number; invalid?: Record<string, number>; added?: Partial<ReturnType<typeof zones>>; ignored?: Record<string, number> };

interface Case {
  name: string;
  body: () => BodyInit | Promise<BodyInit>;
  headers?: Record<string, string>;
  expected: Expected;
  /** Room beyond the default 60 s: a correctness case, not a timed one (times belong in bench/). */
  timeoutMs?: number;
}

const file = (name: string): Case["body"] => () => Bun.file(join(CORPUS, name)).arrayBuffer();
const nested = (depth: number, open: string, close: string, inner = "") => open.repeat(depth) + inner + close.repeat(depth);

const CASES: Case[] = [
  { name: "malformed JSON", body: file("malformed.json"), expected: { status: 400, code: "invalid_json" } },
  { name: "HAE body cut in the middle", body: file("truncated-hae.json"), expected: { status: 400, code: "invalid_json" } },
  { name: "NaN (not JSON)", body: file("nan.json"), expected: { status: 400, code: "invalid_json" } },
  { name: "Infinity (not JSON)", body: file("infinity.json"), expected: { status: 400, code: "invalid_json" } },
  // slot 8: RFC 8259 lets a parser ignore a BOM and the server does; 130 bpm → z2 10 (and replay must read it too)
  { name: "byte-order mark before the JSON", body: file("bom.json"), expected: { status: 200, accepted: 1, added: { z2: 10 } } },
  { name: "empty body", body: () => "", expected: { status: 400, code: "empty_body" } },
  { name: "whitespace only", body: () => "  \n ", expected: { status: 400, code: "invalid_json" } },
  { name: "1e400 parses to Infinity", body: file("number-overflow.json"), expected: { status: 422, code: "invalid_payload", field: "samples[0].bpm" } },
  { name: "strings where numbers belong", body: file("strings-for-numbers.json"), expected: { status: 422, code: "invalid_payload", field: "samples[0].ts" } },
  { name: "HAE Avg as a string", body: file("hae-string-avg.json"), expected: { status: 422, code: "invalid_payload", field: "data.metrics[0].data[0].Avg" } },
  { name: "HAE 30 February", body: file("hae-impossible-date.json"), expected: { status: 422, code: "invalid_payload", field: "data.metrics[0].data[0].date" } },
  { name: "wrong type", body: file("wrong-type.json"), expected: { status: 422, code: "invalid_payload", field: "type" } },
  { name: "duplicate key: the last type wins", body: file("duplicate-type.json"), expected: { status: 422, code: "invalid_payload", field: "type" } },
  { name: "top-level array", body: file("top-level-array.json"), expected: { status: 422, code: "invalid_payload" } },
  { name: "null", body: file("null.json"), expected: { status: 422, code: "invalid_payload" } },
  { name: "empty object", body: file("empty-object.json"), expected: { status: 422, code: "invalid_payload" } },
  {
    name: "multipart/form-data",
    body: () => {
      const form = new FormData();
      form.append("file", new Blob([fixtureBlock(slot(9), 130, 3)], { type: "application/json" }), "hr.json");
      return form;
    },
    headers: { "content-type": "" },
    expected: { status: "4xx" },
  },
  // deeper than MAX_JSON_DEPTH (64) anywhere: refused before the raw log, so no later walk (normalize, replay) meets it
  { name: "100 000 nested arrays", body: () => nested(100_000, "[", "]"), expected: { status: 400, code: "too_deep" } },
  { name: "100 000 nested objects", body: () => nested(100_000, '{"a":', "}", "1"), expected: { status: 400, code: "too_deep" } },
  { name: "100 000 nested arrays as a sample", body: () => `{"type":"heart_rate","samples":[${nested(100_000, "[", "]")}]}`, expected: { status: 400, code: "too_deep" } },
  {
    name: "100 000 nested objects as an HAE Avg",
    body: () => `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[{"date":"2025-06-01 09:00:00 +0000","Avg":${nested(100_000, '{"a":', "}", "1")}}]}]}}`,
    expected: { status: 400, code: "too_deep" },
  },
  { name: "10^6 nested arrays as an HAE date, name and workout end", body: () => `{"data":{"metrics":[{"name":"heart_rate","data":[{"date":${nested(1_000_000, "[", "]")},"Avg":130}]}],"workouts":[{"name":${nested(1_000_000, "[", "]")},"end":${nested(1_000_000, "[", "]")}}]}}`, expected: { status: 400, code: "too_deep" } },
  { name: "100 000 nested arrays in an HAE array kept only in the raw log", body: () => `{"data":{"stateOfMind":${nested(100_000, "[", "]")}}}`, expected: { status: 400, code: "too_deep" } },
  // 64 levels (the limit) are accepted: the HAE shape holds an unknown array kept only in the raw log
  { name: "64 levels of nesting", body: () => `{"data":{"stateOfMind":${nested(62, "[", "]")}}}`, expected: { status: 200, accepted: 0, ignored: { stateOfMind: 1 } } },
  // slot 1: the last "samples" wins and in it the last "bpm": 140, 140 → z3 10 + 5
  { name: "duplicate keys", body: file("duplicate-keys.json"), expected: { status: 200, accepted: 2, added: { z3: 15 } } },
  // slot 2: NUL, a lone surrogate, RTL override, emoji, U+2028 in source/device; 3 × 150 bpm → z3 10 + 5 + 5
  { name: "unicode in source and device", body: file("unicode-labels.json"), expected: { status: 200, accepted: 3, added: { z3: 20 } } },
  { name: "unicode in source and device, again", body: file("unicode-labels.json"), expected: { status: 200, accepted: 0, duplicates: 3 } },
  // slot 3: label syntax in source/device/sourceBundleId; 3 × 130 bpm → z2 20
  { name: "label injection in source and device", body: file("injection-source.json"), expected: { status: 200, accepted: 3, added: { z2: 20 } } },
  { name: "label injection in an HAE metric name", body: file("injection-hae-metric-name.json"), expected: { status: 200, accepted: 0 } },
  { name: "HAE metric names __proto__, ../, newlines", body: file("hae-metric-names.json"), expected: { status: 200, accepted: 0 } },
  // slot 4: injection in HAE source and units; 3 × Avg 170 → z4 20
  { name: "label injection in HAE source and units", body: file("injection-hae-source.json"), expected: { status: 200, accepted: 3, added: { z4: 20 } } },
  // slot 5: valid 130 at s and 131 at s+30 → z2 10 + 10; dropped: bpm -5, 10^6, 24, 251; ts in ms, pre-2000, s+1.5
  {
    name: "negative, huge, ms, pre-2000 and fractional samples",
    body: file("invalid-samples.json"),
    expected: { status: 200, accepted: 2, invalid: { bpm_out_of_range: 4, bad_timestamp: 3 }, added: { z2: 20 } },
  },
  // slot 6: 2999 and 1999 dropped; 06:00 +0000 kept (190 bpm, z5 10); 08:00 +0200 is the same instant: duplicate
  {
    name: "HAE far-future, pre-2000 and differently spelled dates",
    body: file("hae-out-of-range-dates.json"),
    expected: { status: 200, accepted: 1, duplicates: 1, invalid: { bad_timestamp: 2 }, added: { z5: 10 } },
  },
  // a finite number whose metres are not (1e306 km): the field is dropped and counted, the workout kept, the store untouched by Infinity
  {
    name: "a workout of 1e306 km and 900 bpm",
    body: () => JSON.stringify({ data: { workouts: [{ id: "HUGE", name: "Run", start: "2025-06-01 11:00:00 +0000", end: "2025-06-01 11:30:00 +0000", distance: { qty: 1e306, units: "km" }, heartRate: { avg: { qty: 900 } } }] } }),
    expected: { status: 200, accepted: 0, invalid: { distance_out_of_range: 1, workout_bpm_out_of_range: 1 } },
  },
  { name: "__proto__ and constructor keys", body: file("proto-pollution.json"), expected: { status: 200, accepted: 0 } },
  {
    name: "far-future fixture samples (3 and 10 days ahead)",
    body: () => {
      const now = Math.floor(Date.now() / 1000);
      return JSON.stringify({ type: "heart_rate", samples: [{ ts: now + 3 * 86_400, bpm: 130 }, { ts: now + 10 * 86_400, bpm: 130 }] });
    },
    expected: { status: 200, accepted: 0, invalid: { bad_timestamp: 2 } },
  },
  // slot 7: text/plain is accepted (HAE's content type is not ours to police); 150, 150, 151 → z3 20
  { name: "JSON sent as text/plain", body: () => fixtureBlock(slot(7), 150, 3), headers: { "content-type": "text/plain" }, expected: { status: 200, accepted: 3, added: { z3: 20 } } },
  // 10^6 samples 1 s apart at 130 bpm a day after the baseline: 10 + 999 999 s of z2
  {
    name: "10^6 samples",
    // 34 MB: about 5 s on a quiet machine, over 60 s at load 20 (the merge and delivery of 10^6 credits)
    timeoutMs: 240_000,
    body: () => {
      const parts: string[] = new Array(BIG_N);
      for (let i = 0; i < BIG_N; i++) parts[i] = `{"ts":${BIG_START + i},"bpm":130}`;
      return `{"type":"heart_rate","source":"watch","samples":[${parts.join(",")}]}`;
    },
    expected: { status: 200, accepted: BIG_N, added: { z2: BIG_N + 9 } },
  },
];

function hostileSuite(name: string, extraEnv: () => Record<string, string>, vmOf?: () => VmProcess) {
  describe(name, () => {
    let server: ServerProcess;
    let dataDir: string;
    const client = hookClient(() => server, TOKEN, SECRET);
    const env = () => ({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, USER_LABEL: USER, ...extraEnv() });
    const outputs: string[] = [];
    const expectedTotals = zones({});
    const settled = async () => {
      await vmOf?.().flush();
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "fitstack-hostile-"));
      server = await startServer(env());
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("baseline: 121 samples at 130 bpm start the history, 600 s of z2", async () => {
      const reply = await client.post(fixtureBlock(H0, 130, 121));
      expect([reply.status, reply.body.zone_seconds_added]).toEqual([reply.body.delivered ? 200 : 202, zones({ z2: 600 })]);
      expectedTotals.z2 += 600;
    });

    for (const c of CASES) {
      test(c.name, async () => {
        const entriesBefore = rawEntries(dataDir).length;
        const headers = { ...c.headers };
        const reply = await client.post(await c.body(), headers);
        const e = c.expected;
        if (e.status === 200) {
          expect(reply.status).toBe(200);
          expect({
            accepted: reply.body.accepted_samples,
            duplicates: reply.body.duplicates_dropped,
            invalid: reply.body.invalid_dropped,
            reasons: reply.body.invalid_reasons,
            added: reply.body.zone_seconds_added,
            delivered: reply.body.delivered,
          }).toEqual({
            accepted: e.accepted,
            duplicates: e.duplicates ?? 0,
            invalid: Object.values(e.invalid ?? {}).reduce((a, b) => a + b, 0),
            reasons: e.invalid ?? {},
            added: zones(e.added ?? {}),
            delivered: true,
          });
          if (e.ignored) expect(reply.body.ignored).toEqual(e.ignored);
          for (const [zone, seconds] of Object.entries(e.added ?? {})) expectedTotals[zone as keyof typeof expectedTotals] += seconds;
          expect(rawEntries(dataDir).length).toBe(entriesBefore + 1);
        } else {
          if (e.status === "4xx") expect(reply.status >= 400 && reply.status < 500).toBe(true);
          else expect(reply.status).toBe(e.status);
          expect(typeof reply.body?.error?.code).toBe("string");
          expect(typeof reply.body?.error?.message).toBe("string");
          if (e.code) expect(reply.body.error.code).toBe(e.code);
          if (e.field) expect(reply.body.error.field).toBe(e.field);
          expect(rawEntries(dataDir).length).toBe(entriesBefore);
        }
        expect(await client.ping()).toBe(200);
      }, c.timeoutMs ?? 60_000);
    }

    test("a body cut short on the wire (Content-Length not reached) stores nothing and harms nothing", async () => {
      const entriesBefore = rawEntries(dataDir).length;
      const body = fixtureBlock(slot(9), 130, 50);
      const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
      let closed = false;
      socket.on("close", () => (closed = true));
      socket.resume(); // whatever it answers (a 4xx, or nothing) is read and dropped
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.end(
        `POST /hook/${SECRET} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`,
      );
      await waitFor(() => closed, 5_000, "the server to drop the cut request").catch(() => socket.destroy());
      expect(await client.ping()).toBe(200);
      expect(rawEntries(dataDir).length).toBe(entriesBefore);
    }, 15_000);

    test("previously accepted data is intact: summary = baseline + the accepted parts, worked out by hand", async () => {
      expect(expectedTotals).toEqual(FINAL);
      await settled();
      const all = await client.summary(FROM, TO);
      expect([all.zone_seconds, all.last_heart_rate]).toEqual([FINAL, { ts: TO, bpm: 130 }]);
      // the baseline's own stretch is untouched by everything after it
      expect(await client.zones(H0, H0 + 600)).toEqual(zones({ z2: 600 }));
      expect(server.proc.exitCode).toBeNull();
    });

    test("auth: wrong or missing token 401; wrong secret or traversal 404 with the body of an unknown path", async () => {
      const entriesBefore = rawEntries(dataDir).length;
      const body = fixtureBlock(slot(10), 130, 3);
      const send = async (path: string, authorization?: string) => {
        const res = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(authorization !== undefined ? { authorization } : {}) },
          body,
        });
        return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
      };
      const unknown = await send("/no-such-path", `Bearer ${TOKEN}`);
      expect([unknown.status, JSON.parse(unknown.text).error.code]).toEqual([404, "not_found"]);
      for (const path of ["/hook/..%2F..%2Fetc", "/hook/..%2F..%2Fetc%2Fpasswd", "/hook/wrong-secret", `/hook/${SECRET}x`, `/hook/${SECRET}%00`, `/hook/${SECRET.toUpperCase()}`, "/hook/%2e%2e", `/hook/${"a".repeat(5000)}`]) {
        expect({ path, ...(await send(path, `Bearer ${TOKEN}`)) }).toEqual({ path, ...unknown });
        // a wrong secret is 404 whatever the token: the secret path is checked first
        expect({ path, ...(await send(path, "Bearer nope")) }).toEqual({ path, ...unknown });
      }
      for (const authorization of [undefined, "", "Bearer", `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Basic ${btoa(`me:${TOKEN}`)}`, TOKEN, "Bearer dev"]) {
        const reply = await send(`/hook/${SECRET}`, authorization);
        expect({ authorization, status: reply.status, code: JSON.parse(reply.text).error.code }).toEqual({ authorization, status: 401, code: "unauthorized" });
      }
      const summary = await fetch(`${server.url}/api/summary?from=${FROM}&to=${TO}`, { headers: { authorization: "Bearer nope" } });
      expect(summary.status).toBe(401);
      expect(rawEntries(dataDir).length).toBe(entriesBefore);
      expect(await client.ping()).toBe(200);
    });

    test("the token and the secret path appear in no log line and no raw file", async () => {
      const log = server.output();
      expect(log.length).toBeGreaterThan(0);
      expect(log).not.toContain(TOKEN);
      expect(log).not.toContain(SECRET);
      for (const name of readdirSync(join(dataDir, "raw"))) {
        const text = readFileSync(join(dataDir, "raw", name), "utf8");
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(SECRET);
      }
      for (const output of outputs) expect(output).not.toContain(TOKEN);
    });

    if (vmOf) {
      test("VictoriaMetrics holds no foreign series: only our names, labels and values", async () => {
        const vm = vmOf();
        await vm.flush();
        const params = new URLSearchParams({ "match[]": '{__name__=~".+"}', start: String(H0 - 86_400), end: String(Math.floor(Date.now() / 1000)) });
        const body = (await (await fetch(`${vm.url}/api/v1/series?${params}`)).json()) as { status: string; data: Record<string, string>[] };
        expect(body.status).toBe("success");
        const names = new Set(body.data.map((s) => s.__name__));
        expect(names.has("zone_seconds_total") && names.has("heart_rate_bpm")).toBe(true);
        const foreign = body.data.filter((series) => {
          const { __name__: metric, ...labels } = series;
          if (!/^(zone_seconds_total|heart_rate_bpm|hae_[a-z0-9_]+|sleep_[a-z0-9_]+|workouts?_[a-z0-9_]+)$/.test(metric ?? "")) return true;
          if (labels.user !== USER) return true;
          for (const [label, value] of Object.entries(labels)) {
            if (!["user", "zone", "unit", "stage", "type"].includes(label)) return true;
            if (label === "zone" && !/^z[1-5]$/.test(value)) return true;
            if (label !== "user" && label !== "zone" && !/^[A-Za-z0-9_./%-]{1,40}$/.test(value)) return true;
          }
          return false;
        });
        expect(foreign).toEqual([]);
        expect(await vm.counter("vm_rows_invalid_total")).toBe(0);
      });
    } else {
      test("replay of a raw log full of hostile but accepted bodies rebuilds the same numbers", async () => {
        outputs.push(server.output());
        expect(await server.stop()).toBe(0);
        const replay = await runReplay(env());
        expect([replay.code, replay.stdout]).toEqual([0, expect.stringContaining("0 lines skipped")]);
        server = await startServer(env());
        const all = await client.summary(FROM, TO);
        expect([all.zone_seconds, all.last_heart_rate]).toEqual([FINAL, { ts: TO, bpm: 130 }]);
        const again = await client.post(await file("unicode-labels.json")());
        expect([again.status, again.body.accepted_samples, again.body.duplicates_dropped]).toEqual([200, 0, 3]);
      }, 240_000); // replays the 10^6-sample body: see its case
    }
  });
}

onBothStores((store, env, vmOf) => hostileSuite(`hostile input on ${store}`, env, vmOf));
