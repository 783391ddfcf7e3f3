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

export interface Runtime {
  config: Config;
  ledger: Ledger;
  rawLog: RawLog;
  store: Store;
  pipeline: Pipeline;
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
  // every person's zones: a change to any of them leaves their history credited the old way until a replay
  const profileKey = JSON.stringify(Object.fromEntries([[config.userLabel, config.zones], ...config.access.map((a) => [a.user, a.zones])]));
  const heldProfile = ledger.getMeta("zone_profile");
  if (heldProfile && heldProfile !== profileKey) {
    log.warn("zone settings changed since the history was credited; run `fitstack replay` to re-credit it", {
      was: JSON.parse(heldProfile),
      now: JSON.parse(profileKey),
    });
  }
  ledger.setMeta("zone_profile", profileKey);
  const pipeline = new Pipeline({ ledger, store, rawLog, profileFor: (user) => config.access.find((a) => a.user === user)?.zones ?? config.zones, clock: () => new Date(), log, metrics });
  return {
    config,
    ledger,
    rawLog,
    store,
    pipeline,
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
    return new VmStore({ writeUrl: config.vmWriteUrl, readUrl: config.vmReadUrl, stateDir: config.dataDir });
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
