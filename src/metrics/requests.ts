// Counts every request by the route template it matched (never the path itself: it may hold the secret) and status class.
import { statusClass, type Metrics } from "./fitstack";

interface Routed {
  routes: { method: string; path: string }[];
  handle(request: Request): Promise<Response>;
}

/** A path → its route template ("/hook/:secret"), or "other": the label has as many values as the app has routes. */
export function routeLabeler(routes: readonly { method: string; path: string }[]): (method: string, path: string) => string {
  const patterns = routes.map((route) => ({
    method: route.method,
    path: route.path,
    re: new RegExp(`^${route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+").replace(/\*/g, ".*")}/?$`),
  }));
  return (method, path) => patterns.find((p) => (p.method === method || p.method === "ALL") && p.re.test(path))?.path ?? "other";
}

/**
 * `app.handle` counted: requests by route and status class, and when a listed TRMNL device last got its screen
 * (its MAC comes from the config, so the device label is bounded too).
 */
export function countedFetch(
  app: Routed,
  metrics: Metrics,
  trmnlMacs: readonly string[] = [],
  clock: () => Date = () => new Date(),
): (request: Request) => Promise<Response> {
  const label = routeLabeler(app.routes);
  return async (request) => {
    const response = await app.handle(request);
    const route = label(request.method, new URL(request.url).pathname);
    metrics.requests.inc({ route, code: statusClass(response.status) });
    if (route === "/api/display" && response.status === 200) {
      const mac = request.headers.get("id")?.trim().toUpperCase() ?? "";
      if (trmnlMacs.includes(mac)) metrics.trmnlLastPoll.set({ device: mac }, Math.floor(clock().getTime() / 1000));
    }
    return response;
  };
}
