// `fitstack serve`: the webhook, the read API and the retrier, until SIGTERM/SIGINT.
import { createApp } from "../app";
import { loadConfig, type Config } from "../config";
import type { Logger } from "../log";
import { collectServerState } from "../metrics/collect";
import { createMetrics } from "../metrics/fitstack";
import { Freshness } from "../metrics/freshness";
import { countedFetch } from "../metrics/requests";
import { warmUp } from "../normalize/stream";
import { warmUpLedger } from "../ledger/ledger";
import { SqliteStore } from "../store/sqlite";
import { renderDashboard } from "../render/dashboard";
import { VERSION } from "../version";
import { createTrmnl } from "../trmnl/index";
import { defineCommand, type CliContext, type ParsedArgs } from "./args";
import { openRuntime } from "./runtime";
import { reimportKept } from "./import";
import { recreditZones } from "./zoneHistory";

export const command = defineCommand({
  name: "serve",
  summary: `Runs the webhook (POST /hook/<SECRET_PATH>), the read API and the TRMNL routes until SIGTERM/SIGINT.
Configured by the environment (see fitstack --help); AUTH_TOKEN and SECRET_PATH are required unless DEV=1.
A DATA_DIR written with one row per heart-rate sample is converted to user-day blocks on the first start
(serve or replay), once, keeping every sample, credit and backlog entry.`,
  options: {},
  notes: "Exit status: 0 stopped by a signal; 2 a bad option or variable, or VictoriaMetrics without the required dedup flag.",
});

export async function run(_args: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  await serve(loadConfig(ctx.env), ctx.log);
  return -1; // keeps running until a signal
}

/** How often VM's start time is compared with recent deliveries (it persists writes every ~5 s). */
const STORE_CHECK_MS = 10_000;

export async function serve(config: Config, log: Logger): Promise<void> {
  const metrics = createMetrics(VERSION);
  const runtime = await openRuntime(config, log, false, metrics);
  if (runtime.zones.changes.length) {
    // re-read the whole raw log with the new zones while serving (it also merges what recover would)
    const { ledger, store, pipeline, rawLog } = runtime;
    const reimport = () => reimportKept(runtime);
    void recreditZones({ ledger, store, pipeline, rawLog, log, timeZone: config.timeZone, reimport }, runtime.zones).catch((err) =>
      log.error("re-crediting zone settings failed; it is tried again at the next start", { error: (err as Error).message }),
    );
  } else {
    runtime.rawLog.clearSpool(); // bodies a crashed server was receiving: never acknowledged
    // the big-body reader, the ledger's merge and the embedded store's write compiled before the first backfill needs them
    warmUp();
    const scratch = runtime.store.kind === "sqlite" ? new SqliteStore(":memory:") : null;
    warmUpLedger((rewrite) => void scratch?.writeZones(rewrite));
    await runtime.pipeline.recover();
    await runtime.pipeline.recheckStore().catch(() => 0);
  }
  runtime.pipeline.watchStore(STORE_CHECK_MS);
  const clock = () => new Date();
  const render: typeof renderDashboard = async (data, opts) => {
    const started = performance.now();
    const png = await renderDashboard(data, opts);
    metrics.renderDuration.observe((performance.now() - started) / 1000);
    return png;
  };
  const peer = (request: Request) => server.requestIP(request)?.address;
  const trmnl = createTrmnl(config, { store: runtime.store, pipeline: runtime.pipeline, clock, log, render, peer });
  const firstInstant = (user: string) => runtime.ledger.firstInstant(user);
  const users = [...new Set(config.access.map((a) => a.user))];
  const freshness = new Freshness(runtime.ledger, users, { staleAfterS: config.staleAfterS, coverageMinH: config.coverageMinH, timeZone: config.timeZone }, clock);
  collectServerState(metrics, { ledger: runtime.ledger, rawDir: runtime.rawLog.dir, storeKind: runtime.store.kind, freshness, clock });
  const load = { settings: { timeZone: config.timeZone, ...config.load }, firstTs: (user: string) => runtime.ledger.firstTs(user) };
  const app = createApp({ config, pipeline: runtime.pipeline, store: runtime.store, clock, log, trmnl, firstInstant, metrics, freshness, load });
  const server: Bun.Server<undefined> = Bun.serve({
    hostname: config.host,
    port: config.port,
    // no limit here: Bun would answer an oversized Content-Length with an empty 413 before our handler,
    // which refuses it as JSON without reading it (and counts the bytes of a chunked body as they come)
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun closes a connection after 10 s without bytes, even while its handler still works: a big backfill on a
    // Pi, or a years-long summary on VM, would lose its answer (and HAE would send it all again). 255 s is Bun's most.
    idleTimeout: 255,
    fetch: countedFetch(app, metrics, config.trmnl.devices.map((d) => d.mac), clock),
  });
  log.info("listening", {
    url: `http://${config.host}:${server.port}`,
    store: runtime.store.kind,
    data_dir: config.dataDir,
    user: config.userLabel,
    backlog: runtime.pipeline.backlog(),
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    await server.stop(); // stops accepting, waits for in-flight requests
    await runtime.close(); // finishes queued deliveries, closes the store
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
