// The gauges read at scrape time from what the server holds: backlog, last sync and gaps per user, raw log size.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Ledger } from "../ledger/ledger";
import { FAILING_SINCE } from "../pipeline";
import type { Metrics } from "./fitstack";
import type { Freshness } from "./freshness";

export interface ServerState {
  ledger: Ledger;
  rawDir: string;
  storeKind: string;
  freshness: Freshness;
  clock: () => Date;
}

/** Bytes of the raw log's files (one per day, so a directory listing stays short). */
export function rawLogBytes(rawDir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(rawDir)) if (name.endsWith(".ndjson")) total += statSync(join(rawDir, name)).size;
  } catch {}
  return total;
}

/** How long deliveries have been failing while something waits (0 when nothing waits or the last one worked). */
export function backlogAgeS(ledger: Ledger, now: number): number {
  const since = Number(ledger.getMeta(FAILING_SINCE) || 0);
  return since && ledger.backlog().users ? Math.max(0, now - since) : 0;
}

export function collectServerState(metrics: Metrics, state: ServerState) {
  metrics.registry.onCollect(() => {
    const { ledger, storeKind, freshness } = state;
    const now = Math.floor(state.clock().getTime() / 1000);
    metrics.backlogUsers.set({ store: storeKind }, ledger.backlog().users);
    metrics.backlogAge.set({ store: storeKind }, backlogAgeS(ledger, now));
    metrics.rawBytes.set({}, rawLogBytes(state.rawDir));
    metrics.lastSync.reset();
    metrics.gapDays.reset();
    for (const user of freshness.all()) {
      // a user who never synced has no last-sync series: "absent" is what the no-sync alert must not mistake for old
      if (user.last_sync !== null) metrics.lastSync.set({ user: user.user }, user.last_sync);
      metrics.gapDays.set({ user: user.user }, user.gap_dates.length);
    }
  });
}
