import { expect, test } from "bun:test";
import { Elysia } from "elysia";
import { createMetrics } from "./fitstack";
import { countedFetch } from "./requests";

test("requests are counted by route template and status class; a listed TRMNL device's poll is timed", async () => {
  const app = new Elysia()
    .post("/hook/:secret", ({ params }) => (params.secret === "right" ? new Response("{}") : new Response("no", { status: 404 })))
    .get("/api/display", () => Response.json({ status: 0 }))
    .get("/boom", () => new Response("x", { status: 503 }));
  const metrics = createMetrics("test");
  const clock = () => new Date("2026-01-31T12:00:00Z");
  const fetch = countedFetch(app, metrics, ["AA:BB:CC:DD:EE:FF"], clock);
  const call = (method: string, path: string, headers: Record<string, string> = {}) => fetch(new Request(`http://localhost${path}`, { method, headers }));
  await call("POST", "/hook/right");
  await call("POST", "/hook/wrong");
  await call("GET", "/boom");
  await call("GET", "/nowhere");
  await call("GET", "/api/display", { id: "aa:bb:cc:dd:ee:ff" });
  await call("GET", "/api/display", { id: "11:22:33:44:55:66" }); // answered, but not a listed device: no label for it
  const text = await metrics.registry.render();
  const lines = (name: string) => text.split("\n").filter((line) => line.startsWith(name));
  expect(lines("fitstack_http_requests_total")).toEqual([
    'fitstack_http_requests_total{route="/hook/:secret",code="2xx"} 1',
    'fitstack_http_requests_total{route="/hook/:secret",code="4xx"} 1',
    'fitstack_http_requests_total{route="/boom",code="5xx"} 1',
    'fitstack_http_requests_total{route="other",code="4xx"} 1',
    'fitstack_http_requests_total{route="/api/display",code="2xx"} 2',
  ]);
  expect(lines("fitstack_trmnl_last_poll_timestamp_seconds")).toEqual([`fitstack_trmnl_last_poll_timestamp_seconds{device="AA:BB:CC:DD:EE:FF"} ${Date.parse("2026-01-31T12:00:00Z") / 1000}`]);
});
