// Opens what serve and replay share: config, ledger, raw log, the configured store.
import type { Config } from "../config";
import { Ledger } from "../ledger/ledger";
import type { Logger } from "../log";
import type { Metrics } from "../metrics/fitstack";
import { Pipeline } from "../pipeline";
import { RawLog } from "../raw/rawlog";
import { SqliteStore } from "../store/sqlite";
import type { Store } from "../store/store";
import { REQUIRED_DEDUP, VmStore } from "../store/vm";
import { privateDataDir } from "./dataDir";
import { boundsFor, zoneHistory, type ZoneHistory } from "./zoneHistory";

export interface Runtime {
  config: Config;
  ledger: Ledger;
  rawLog: RawLog;
  store: Store;
  pipeline: Pipeline;
  /** Each person's zones over time; `changes` = history credited with other zones (serve re-credits it). */
  zones: ZoneHistory;
  close(): Promise<void>;
}

export class StartupError extends Error {}

/** `inMemory` (replay --dry-run) reads the raw log but keeps ledger and store in memory. */
export async function openRuntime(config: Config, log: Logger, inMemory = false, metrics?: Metrics): Promise<Runtime> {
  privateDataDir(config.dataDir);
  const ledger = new Ledger(inMemory ? ":memory:" : config.dataDir);
  const rawLog = new RawLog(config.dataDir);
  const store = inMemory ? new SqliteStore(":memory:") : openStore(config);
  if (store instanceof VmStore) await checkVm(store, log);
  // every person's zones over time: what changed is re-credited by serve (or a full replay), then committed
  const zones = zoneHistory(config, ledger);
  if (!zones.changes.length) zones.commit();
  const pipeline = new Pipeline({
    ledger,
    store,
    rawLog,
    profileFor: (user) => config.access.find((a) => a.user === user)?.zones ?? config.zones,
    boundsFor: boundsFor(zones.histories, config.zones),
    clock: () => new Date(),
    log,
    metrics,
  });
  return {
    config,
    ledger,
    rawLog,
    store,
    pipeline,
    zones,
    async close() {
      await pipeline.stop();
      await store.close();
      rawLog.close();
      ledger.close();
    },
  };
}

function openStore(config: Config): Store {
  if (config.vmWriteUrl && config.vmReadUrl) {
    const training = { settings: { timeZone: config.timeZone, ...config.load }, clock: () => new Date() };
    return new VmStore({ writeUrl: config.vmWriteUrl, readUrl: config.vmReadUrl, stateDir: config.dataDir, training });
  }
  return new SqliteStore(config.dataDir);
}

/** A VM without 1s dedup would count every rewrite twice: refuse to start rather than corrupt counters. */
async function checkVm(store: VmStore, log: Logger) {
  let dedup: string | null;
  try {
    dedup = await store.dedupInterval();
  } catch (err) {
    log.warn("VictoriaMetrics not reachable at start; posts are kept and delivered when it is", { error: (err as Error).message });
    return;
  }
  const retention = await store.retention().catch(() => null);
  if (retention !== null && retentionDays(retention) < 365) {
    log.warn("VictoriaMetrics keeps data only briefly (-retentionPeriod); older backfills are dropped silently", {
      retentionPeriod: retention || "1 (month, the default)",
      advice: "run VM with -retentionPeriod=5y as in docker-compose.yml",
    });
  }
  if (dedup !== null && dedup !== REQUIRED_DEDUP) {
    throw new StartupError(
      `VictoriaMetrics runs with -dedup.minScrapeInterval=${dedup || "(unset)"}; fitstack needs -dedup.minScrapeInterval=${REQUIRED_DEDUP} (see docker-compose.yml)`,
    );
  }
}

/** VM's -retentionPeriod in days: a bare number means months, unset means one month. */
export function retentionDays(flag: string): number {
  const match = /^(\d+(?:\.\d+)?)([hdwMy]?)$/.exec(flag.trim() || "1");
  if (!match) return Infinity;
  const n = Number(match[1]);
  const perUnit: Record<string, number> = { h: 1 / 24, d: 1, w: 7, M: 31, "": 31, y: 365 };
  return n * perUnit[match[2]!]!;
}
