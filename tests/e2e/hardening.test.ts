// Hardening against the real server process: routing whatever the Host header, DATA_DIR's modes whatever the umask,
// nesting refused on every JSON route.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawEntries } from "../support/hook";
import { startServer, type ServerProcess } from "../support/process";

const TOKEN = "hardening-token-0123456789";
const SECRET = "hardening-secret";
const MAC = "AA:BB:CC:DD:EE:01";
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const T0 = Math.floor(Date.now() / 60_000) * 60 - 3600;

let server: ServerProcess;
let root: string;
let dataDir: string;
let deviceKey: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "fitstack-hardening-"));
  dataDir = join(root, "data");
  // an older install's leftovers, readable by all: narrowed at start
  mkdirSync(join(dataDir, "raw"), { recursive: true, mode: 0o755 });
  chmodSync(dataDir, 0o755);
  writeFileSync(join(dataDir, "raw", "2020-01-01.ndjson"), "", { mode: 0o644 });
  // the default umask of most shells: without the fix every file would be 0644 and every directory 0755
  server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, TRMNL_DEVICES: MAC }, ["sh", "-c", `umask 022 && exec bun run ${MAIN} serve`]);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const hook = (body: string) =>
  fetch(`${server.url}/hook/${SECRET}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body });

test("a short Host header does not shift routing: /x/ping is 404 as with any other host", async () => {
  const status = async (path: string, host: string, headers: Record<string, string> = {}) => (await fetch(`${server.url}${path}`, { headers: { host, ...headers } })).status;
  const bearer = { authorization: `Bearer ${TOKEN}` };
  expect({
    shortHost: [await status("/x/ping", "abc"), await status("/ping", "abc"), await status("/ping", "a"), await status("/public/api/summary", "abc", bearer), await status("/api/summary", "abc", bearer)],
    x: [await status("/x/api/setup", "a", { ID: MAC }), await status("/x/hook", "ab")],
    longHost: [await status("/x/ping", "example.org"), await status("/ping", "example.org")],
  }).toEqual({ shortHost: [404, 200, 200, 404, 200], x: [404, 404], longHost: [404, 200] });
}, 30_000);

test("DATA_DIR is 0700 and every file in it 0600 under umask 022: raw log, SQLite with -wal/-shm, TRMNL state", async () => {
  const samples = Array.from({ length: 10 }, (_, i) => ({ ts: T0 + 5 * i, bpm: 130 }));
  expect((await hook(JSON.stringify({ type: "heart_rate", source: "watch", samples }))).status).toBe(200);
  const key = (deviceKey = ((await (await fetch(`${server.url}/api/setup`, { headers: { ID: MAC } })).json()) as any).api_key);
  expect((await fetch(`${server.url}/api/display`, { headers: { ID: MAC, "Access-Token": key } })).status).toBe(200);
  const log = await fetch(`${server.url}/api/log`, { method: "POST", headers: { ID: MAC, "Access-Token": key }, body: JSON.stringify({ logs: [{ message: "wifi connected" }] }) });
  expect(log.status).toBe(204);
  const modes: Record<string, string> = {};
  const walk = (path: string, name: string) => {
    modes[name] = (statSync(path).mode & 0o777).toString(8);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry), `${name}/${entry}`);
  };
  walk(dataDir, "DATA_DIR");
  const names = Object.keys(modes);
  for (const expected of ["raw/", "-wal", "-shm", "trmnl/devices.json", "trmnl/device-logs.ndjson", "raw/2020-01-01.ndjson"]) expect(names.some((n) => n.includes(expected))).toBe(true);
  const wide = Object.entries(modes).filter(([name, mode]) => mode !== (statSync(join(dataDir, name.replace(/^DATA_DIR\/?/, ""))).isDirectory() ? "700" : "600"));
  expect(wide).toEqual([]);
}, 30_000);

test("a body nested deeper than 64 levels is 400 before the raw log, on the hook and on the device log", async () => {
  const before = rawEntries(dataDir).length;
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const metric = `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[{"date":${deep(1_000_000)},"qty":130}]}]}}`;
  const res = await hook(metric);
  expect([res.status, ((await res.json()) as any).error.code]).toEqual([400, "too_deep"]);
  expect(rawEntries(dataDir).length).toBe(before);
  // the device log is stored too: the same limit (the device was paired by the test before)
  const devicelog = await fetch(`${server.url}/api/log`, { method: "POST", headers: { ID: MAC, "Access-Token": deviceKey }, body: `{"logs":${deep(100)}}` });
  expect([devicelog.status, ((await devicelog.json()) as any).error.code]).toEqual([400, "too_deep"]);
  expect((await fetch(`${server.url}/ping`)).status).toBe(200);
}, 30_000);
