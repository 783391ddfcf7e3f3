// createApp(deps) → the Elysia app; it never listens (serve does), so tests call app.handle().
import { Elysia, t } from "elysia";
import { bearerAuth, bearerToken, personOf, sameSecret } from "./auth";
import type { Config } from "./config";
import { loadRoutes } from "./load/routes";
import type { LoadSettings } from "./load/report";
import { HttpError, notFound, storeUnavailable, unauthorized } from "./errors";
import type { Logger } from "./log";
import { checkNesting, receiveBody } from "./body";
import { normalizedPieces } from "./normalize/stream";
import type { Spool } from "./raw/rawlog";
import type { Metrics } from "./metrics/fitstack";
import type { Freshness } from "./metrics/freshness";
import { CONTENT_TYPE } from "./metrics/registry";
import { normalizePayload } from "./normalize/index";
import type { HookResult, Pipeline } from "./pipeline";
import type { Store } from "./store/store";
import { trmnlRoutes, type TrmnlDeps } from "./trmnl/routes";
import { VERSION } from "./version";

export interface AppDeps {
  config: Pick<Config, "access" | "secretPath" | "maxBodyBytes"> & Partial<Pick<Config, "authToken" | "metricsToken">>;
  pipeline: Pipeline;
  store: Store;
  clock: () => Date;
  log: Logger;
  /** GET /api/load: training settings and the person's first heart-rate instant (the ledger's); absent = not mounted. */
  load?: { settings: LoadSettings; firstTs: (user: string) => number | null };
  /** The TRMNL e-ink routes (device API, images, Redirect plugin); absent = not mounted. */
  trmnl?: TrmnlDeps;
  /** The user's earliest stored instant (the ledger's): summaries are not asked of the store before it. */
  firstInstant?: (user: string) => number | null;
  /** GET /metrics and the hook's counters; absent = no /metrics route. */
  metrics?: Metrics;
  /** Per-user last sync and gap days for /health; absent = none reported. */
  freshness?: Freshness;
}

export function createApp({ config, pipeline, store, clock, log, trmnl, firstInstant, metrics, freshness, load }: AppDeps) {
  const authenticate = (header: string | null) => personOf(config.access, header);
  const auth = bearerAuth(config.access);
  /** AUTH_TOKEN or METRICS_TOKEN: whoever runs the server, who may see every user's freshness and /metrics. */
  const isOperator = (header: string | null): boolean => {
    const given = bearerToken(header);
    let found = false;
    for (const token of [config.authToken, config.metricsToken]) if (token && sameSecret(given, token) && given) found = true;
    return found;
  };

  // Elysia assumes a host of at least 4 characters and starts looking for the path at url[11]: with `Host: abc`,
  // `/x/ping` would route as `/ping`. The server speaks plain http (TLS ends at the tunnel), so the path starts after "http://".
  let summariesInFlight = 0;

  return new Elysia({ handler: { standardHostname: false } })
    .onError(({ code, error }) => {
      if (error instanceof HttpError) return jsonError(error);
      if (code === "NOT_FOUND") return jsonError(notFound());
      if (code === "PARSE") return jsonError(new HttpError(400, "invalid_json", "body is not valid JSON"));
      // a malformed query parameter is the caller's 400, as /api/summary answers it
      if (code === "VALIDATION" && error.type === "query") {
        const field = error.valueError?.path.replace(/^\//, "") || undefined;
        return jsonError(new HttpError(400, "invalid_query", String(error.customError ?? error.message).slice(0, 500), field));
      }
      if (code === "VALIDATION") return jsonError(new HttpError(422, "invalid_request", String((error as Error).message).slice(0, 500)));
      log.error("unhandled error", { error: (error as Error)?.stack ?? String(error) });
      return jsonError(new HttpError(500, "internal", "internal error"));
    })
    .get("/ping", () => new Response(null, { status: 200 }))
    .get("/health", async ({ request }) => {
      const storeHealth = await store.health();
      const users = freshness?.all() ?? [];
      const ok = storeHealth.reachable && !storeHealth.detail;
      const status = !ok ? "degraded" : users.some((u) => u.stale) ? "stale" : "ok";
      const code = ok ? 200 : 503;
      const header = request.headers.get("authorization");
      // anonymous: the status alone (an uptime checker needs no more); a bearer caller: the details
      if (!header) return Response.json({ status }, { status: code });
      const shown = isOperator(header) ? users : users.filter((u) => u.user === authenticate(header).user);
      const backlog = pipeline.backlog();
      return Response.json(
        {
          status,
          version: VERSION,
          store: storeHealth,
          backlog: { users: backlog.users, oldest_pending: backlog.oldestPending },
          ...(freshness ? { stale_after_s: freshness.settings.staleAfterS, users: shown } : {}),
        },
        { status: code },
      );
    })
    .get("/metrics", async ({ request }) => {
      if (!metrics) throw notFound();
      if (!isOperator(request.headers.get("authorization"))) throw unauthorized();
      return new Response(await metrics.registry.render(), { headers: { "content-type": CONTENT_TYPE } });
    })
    .post(
      "/hook/:secret",
      async ({ params, request }) => {
        if (!sameSecret(params.secret, config.secretPath)) throw notFound();
        const { user } = authenticate(request.headers.get("authorization"));
        const started = performance.now();
        const received = await receiveBody(request, config.maxBodyBytes, () => pipeline.spool(), "MAX_BODY_MB");
        const bytes = received instanceof Uint8Array ? received.length : received.bytes;
        metrics?.hookBytes.inc({}, bytes);
        const result = await acceptBody(pipeline, received, user, automationHeaders(request.headers));
        trmnl?.dashboards.forget(user); // two syncs in one second leave lastSync unchanged
        if (metrics) countHook(metrics, result, (performance.now() - started) / 1000);
        log.info("hook accepted", {
          id: result.id,
          user,
          bytes,
          shape: result.shape,
          accepted: result.accepted_samples,
          duplicates: result.duplicates_dropped,
          invalid: result.invalid_dropped,
          delivered: result.delivered,
          ms: Math.round(performance.now() - started),
        });
        return Response.json(result, { status: result.delivered ? 200 : 202 });
      },
      { parse: "none" },
    )
    .use(
      new Elysia({ name: "summary" }).use(auth).get(
        "/api/summary",
        async ({ person: { user }, query }) => {
          const to = query.to ? Number(query.to) : Math.floor(clock().getTime() / 1000);
          const from = query.from ? Number(query.from) : to - 86400;
          if (from >= to) throw new HttpError(400, "invalid_range", "from must be before to", "from");
          // a store answering many wide queries at once falls over (VM: "max concurrent searches"): refuse early instead
          if (summariesInFlight >= MAX_SUMMARIES_IN_FLIGHT) throw storeUnavailable("too many summaries at once; retry later");
          summariesInFlight++;
          try {
            // nothing is stored before the user's first instant (VM: a pre-point one second before it), so from=0 costs the
            // store no more than the data's extent; an hour's margin keeps any such point inside
            const first = firstInstant?.(user);
            const queried = first === undefined ? from : first === null ? to - 1 : Math.min(Math.max(from, first - DATA_START_MARGIN_S), to - 1);
            const summary = await store.summary(user, queried, to).catch((err) => {
              log.warn("summary failed in the store", { store: store.kind, error: String((err as Error)?.message ?? err).slice(0, 200) });
              throw storeUnavailable();
            });
            return Response.json({ ...summary, from, to });
          } finally {
            summariesInFlight--;
          }
        },
        { query: t.Object({ from: unixSeconds("from"), to: unixSeconds("to") }) },
      ),
    )
    .use(load ? loadRoutes({ store, clock, auth, ...load }) : new Elysia())
    .use(trmnlRoutes(trmnl));
}

/**
 * A small body is parsed and normalized whole before it waits for the pipeline; a spooled one is normalized a
 * piece at a time inside it (normalize/stream.ts), so memory does not grow with the body's size.
 */
async function acceptBody(pipeline: Pipeline, received: Uint8Array | Spool, user: string, headers: Record<string, string>): Promise<HookResult> {
  if (received instanceof Uint8Array) return pipeline.accept(received, normalizePayload(parseJson(received)), user, headers);
  try {
    const source = received.finish();
    return await pipeline.accept(source, () => normalizedPieces(source), user, headers);
  } finally {
    received.discard();
  }
}
/** /api/summary queries running at once; one summary is 8–12 store queries. */
const MAX_SUMMARIES_IN_FLIGHT = 4;
const DATA_START_MARGIN_S = 3600;

function countHook(metrics: Metrics, result: HookResult, seconds: number) {
  metrics.hookSamples.inc({ outcome: "accepted" }, result.accepted_samples);
  metrics.hookSamples.inc({ outcome: "duplicate" }, result.duplicates_dropped);
  metrics.hookSamples.inc({ outcome: "invalid" }, result.invalid_dropped);
  // the reasons are sampleProblem's fixed names, never payload text
  for (const [reason, n] of Object.entries(result.invalid_reasons)) metrics.hookInvalid.inc({ reason }, n);
  metrics.hookRecords.inc({ kind: "gauge" }, result.records.gauges);
  metrics.hookRecords.inc({ kind: "night" }, result.records.nights);
  metrics.hookRecords.inc({ kind: "workout" }, result.records.workouts);
  metrics.hookDuration.observe(seconds);
}

/** HAE names its automation in these headers; kept with the raw entry (bounded, never the token). */
const AUTOMATION_HEADERS = ["automation-name", "automation-id", "automation-aggregation", "automation-period", "session-id"];

function automationHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of AUTOMATION_HEADERS) {
    const value = headers.get(name);
    if (value) kept[name] = value.slice(0, 200);
  }
  return kept;
}

function jsonError(error: HttpError): Response {
  // a 413 is sent before the body was read: closing the connection frees a client still sending it
  const headers: Record<string, string> = { ...error.headers, ...(error.status === 413 ? { connection: "close" } : {}) };
  return Response.json(error.toJSON(), { status: error.status, headers });
}

/** An optional query parameter in unix seconds (the empty string too: `?from=` is absent). */
const unixSeconds = (name: string) =>
  t.Optional(
    t.String({
      pattern: "^(\\d{1,11})?$",
      // `value` is the whole query
      error: ({ value }) => `${name} must be unix seconds, got "${String((value as Record<string, unknown>)[name]).slice(0, 40)}"`,
    }),
  );

/** The decoded text lives only inside this call: a 50 MB backfill is 100 MB as a UTF-16 string. */
function parseJson(bytes: Uint8Array): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (err) {
    const reason = err instanceof TypeError ? "not valid UTF-8" : (err as Error).message;
    throw new HttpError(400, "invalid_json", `body is not valid JSON: ${reason}`);
  }
  checkNesting(parsed);
  return parsed;
}
