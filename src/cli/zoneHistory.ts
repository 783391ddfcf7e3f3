// Each person's zone settings over time, kept in the ledger's meta; when the settings change, serve re-credits
// the history from the raw log by itself (in the background, logging progress) instead of asking for `replay`.
import type { Config } from "../config";
import type { Ledger } from "../ledger/ledger";
import type { Logger } from "../log";
import type { Pipeline } from "../pipeline";
import type { RawLog } from "../raw/rawlog";
import { localDate } from "../render/format";
import type { Store } from "../store/store";
import { boundsAt, firstDifference, nextHistory, type DatedProfile } from "../transform/profiles";
import { startOfLocalDay } from "../trmnl/localTime";
import type { ZoneProfile } from "../transform/zones";

const META_KEY = "zone_profiles";
/** Before dated profiles the ledger held one profile per person under this key. */
const LEGACY_META_KEY = "zone_profile";

export interface ZoneChange {
  user: string;
  /** First instant credited differently (null = all history). */
  from: number | null;
  was: DatedProfile[];
  now: DatedProfile[];
}

export interface ZoneHistory {
  /** Every person's profiles as the settings now say (what new samples are credited with). */
  histories: Record<string, DatedProfile[]>;
  /** People whose history was credited with other zones than `histories` says. */
  changes: ZoneChange[];
  /** Records `histories` as what the ledger's credits follow (after a full re-credit, or when nothing changed). */
  commit(): void;
}

export function zoneHistory(config: Pick<Config, "userLabel" | "zones" | "zonesFrom" | "access" | "timeZone">, ledger: Ledger): ZoneHistory {
  const held: Record<string, DatedProfile[]> = JSON.parse(ledger.getMeta(META_KEY) ?? "{}");
  const legacy: Record<string, ZoneProfile> = JSON.parse(ledger.getMeta(LEGACY_META_KEY) ?? "{}");
  for (const [user, profile] of Object.entries(legacy)) held[user] ??= [{ from: null, profile }];
  const people = [{ user: config.userLabel, zones: config.zones, zonesFrom: config.zonesFrom }, ...config.access];
  const histories: Record<string, DatedProfile[]> = { ...held };
  const changes: ZoneChange[] = [];
  const done = new Set<string>();
  // config checks that one person's tokens all carry the same zones: the first entry speaks for them
  for (const { user, zones, zonesFrom } of people) {
    if (done.has(user)) continue;
    done.add(user);
    const from = zonesFrom ? startOfLocalDay(zonesFrom, config.timeZone) : null;
    histories[user] = nextHistory(held[user] ?? [], zones, from);
    const differs = held[user] ? firstDifference(held[user], histories[user]) : null;
    if (differs !== null) changes.push({ user, from: differs === -Infinity ? null : differs, was: held[user]!, now: histories[user] });
  }
  return {
    histories,
    changes,
    commit() {
      ledger.setMeta(META_KEY, JSON.stringify(histories));
    },
  };
}

/** Bounds per instant for the pipeline, from the histories (a person not in them: the default profile). */
export function boundsFor(histories: Record<string, DatedProfile[]>, fallback: ZoneProfile) {
  const cache = new Map<string, (ts: number) => number[]>();
  return (user: string) => {
    let at = cache.get(user);
    if (!at) cache.set(user, (at = boundsAt(histories[user] ?? [{ from: null, profile: fallback }])));
    return at;
  };
}

/**
 * Re-credits everyone's history from the raw log with the zones the settings now give: the store and the ledger
 * are emptied (nothing can be counted twice), then the raw log is merged again behind any hook already queued,
 * while the server keeps answering. Progress and the outcome go to the log.
 */
export async function recreditZones(
  deps: {
    ledger: Ledger;
    store: Store;
    pipeline: Pipeline;
    rawLog: RawLog;
    log: Logger;
    timeZone: string;
    /** Re-reads the Health-app exports kept in DATA_DIR/imports/ into the emptied ledger (they are not in the raw log). */
    reimport?: () => Promise<unknown>;
  },
  history: ZoneHistory,
): Promise<void> {
  const { ledger, store, pipeline, rawLog, log, timeZone } = deps;
  for (const change of history.changes) {
    log.info("zone settings changed: re-crediting from the raw log", {
      user: change.user,
      from: change.from === null ? "all history" : localDate(change.from, timeZone),
      was: change.was,
      now: change.now,
    });
  }
  const started = performance.now();
  await store.clear(ledger.users());
  ledger.reset();
  await deps.reimport?.();
  const files = rawLog.files();
  let logged = 0;
  const report = await pipeline.replay(files, (progress) => {
    // about ten progress lines whatever the history's length
    if (progress.files < files.length && progress.files * 10 >= (logged + 1) * files.length) {
      logged++;
      log.info("re-crediting", { files: `${progress.files}/${files.length}`, entries: progress.entries });
    }
  });
  history.commit();
  log.info("zone settings re-credited", {
    users: history.changes.map((c) => c.user),
    files: report.files,
    entries: report.entries,
    samples: report.samples,
    delivered: report.delivered,
    s: Math.round((performance.now() - started) / 100) / 10,
  });
}
