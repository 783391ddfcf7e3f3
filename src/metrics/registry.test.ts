import { expect, test } from "bun:test";
import { Registry } from "./registry";
import { routeLabeler } from "./requests";

test("counters, gauges and histograms in the text format 0.0.4, labels escaped", async () => {
  const registry = new Registry();
  const requests = registry.counter("app_requests_total", "Requests\nby route", ["route", "code"]);
  const temp = registry.gauge("app_temperature_celsius", "A gauge");
  const latency = registry.histogram("app_latency_seconds", "Latency", [0.1, 1]);
  requests.inc({ route: "/a", code: "2xx" });
  requests.inc({ route: "/a", code: "2xx" }, 2);
  requests.inc({ route: 'say "hi"\\', code: "4xx" });
  temp.set({}, -1.5);
  // 0.05 ≤ 0.1 and ≤ 1; 0.1 ≤ 0.1 (le is inclusive); 3 only in +Inf: sum 3.15
  for (const v of [0.05, 0.1, 3]) latency.observe(v);
  expect(await registry.render()).toBe(
    [
      "# HELP app_requests_total Requests\\nby route",
      "# TYPE app_requests_total counter",
      'app_requests_total{route="/a",code="2xx"} 3',
      'app_requests_total{route="say \\"hi\\"\\\\",code="4xx"} 1',
      "# HELP app_temperature_celsius A gauge",
      "# TYPE app_temperature_celsius gauge",
      "app_temperature_celsius -1.5",
      "# HELP app_latency_seconds Latency",
      "# TYPE app_latency_seconds histogram",
      'app_latency_seconds_bucket{le="0.1"} 2',
      'app_latency_seconds_bucket{le="1"} 2',
      'app_latency_seconds_bucket{le="+Inf"} 3',
      "app_latency_seconds_sum 3.15",
      "app_latency_seconds_count 3",
      "",
    ].join("\n"),
  );
});

test("collectors run before each render; a counter refuses to go down; names are checked once", async () => {
  const registry = new Registry();
  const gauge = registry.gauge("g", "g", ["user"]);
  let calls = 0;
  registry.onCollect(() => {
    gauge.reset();
    gauge.set({ user: `u${++calls}` }, calls);
  });
  await registry.render();
  expect(await registry.render()).toBe('# HELP g g\n# TYPE g gauge\ng{user="u2"} 2\n');
  const counter = registry.counter("c_total", "c");
  expect(() => counter.inc({}, -1)).toThrow("a counter only goes up");
  counter.setTotal({}, 5);
  counter.setTotal({}, 4);
  expect(counter.get()).toBe(5);
  expect(() => registry.gauge("g", "again")).toThrow("registered twice");
  expect(() => registry.counter("bad-name", "x")).toThrow("bad metric name");
});

test("a request's route label is its template, never its path", () => {
  const label = routeLabeler([
    { method: "POST", path: "/hook/:secret" },
    { method: "GET", path: "/trmnl/img/:filename" },
    { method: "GET", path: "/health" },
  ]);
  expect([
    label("POST", "/hook/my-secret-path"),
    label("GET", "/hook/my-secret-path"),
    label("GET", "/trmnl/img/fs-0123.png"),
    label("GET", "/health"),
    label("GET", "/health/"),
    label("GET", "/healthz"),
    label("GET", "/hook/a/b"),
  ]).toEqual(["/hook/:secret", "other", "/trmnl/img/:filename", "/health", "/health", "other", "other"]);
});
