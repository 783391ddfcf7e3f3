// A vminsert/vmselect pair answers on different base paths; this records which paths the store calls.
import { afterAll, expect, test } from "bun:test";
import { Ledger } from "../ledger/ledger";
import { deliverPending } from "../pipeline";
import { zoneBoundsBpm } from "../transform/zones";
import { VmStore } from "./vm";

const seen: string[] = [];
const cluster = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(request) {
    const url = new URL(request.url);
    seen.push(`${request.method} ${url.pathname}`);
    if (url.pathname.endsWith("/api/v1/query")) return Response.json({ status: "success", data: { resultType: "vector", result: [] } });
    return new Response(null, { status: 204 });
  },
});
afterAll(() => cluster.stop(true));

test("cluster: writes go to vminsert's prefix, reads and deletes to vmselect's", async () => {
  const base = `http://127.0.0.1:${cluster.port}`;
  const store = new VmStore({
    writeUrl: `${base}/insert/0/prometheus`,
    readUrl: `${base}/select/0/prometheus`,
    stateDir: ":memory:",
    maxGeneration: 0,
  });
  const ledger = new Ledger(":memory:");
  const bounds = zoneBoundsBpm({ mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] });
  ledger.ingest("me", [{ ts: 1_767_225_600, bpm: 130, source: "w", device: "" }], bounds);
  await deliverPending(ledger, store);
  // a late sample with no generation left: the series are deleted and rebuilt
  ledger.ingest("me", [{ ts: 1_767_225_500, bpm: 130, source: "w", device: "" }], bounds);
  await deliverPending(ledger, store);
  await store.summary("me", 1_767_225_000, 1_767_226_000);
  expect([...new Set(seen)].sort()).toEqual([
    "GET /internal/force_flush",
    "GET /internal/resetRollupResultCache",
    // vminsert's own /metrics: its count of invalid import lines (and start time)
    "GET /metrics",
    "GET /select/0/prometheus/api/v1/query",
    "POST /delete/0/prometheus/api/v1/admin/tsdb/delete_series",
    "POST /insert/0/prometheus/api/v1/import",
  ]);
});
