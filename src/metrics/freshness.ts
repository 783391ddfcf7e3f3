// Per user: how long since the last accepted sync, and which of the last 30 days have too little heart rate.
import type { Ledger } from "../ledger/ledger";
import { localDate, zoneOffsetS } from "../render/format";

export interface FreshnessSettings {
  /** A user whose last sync is older than this is stale (STALE_AFTER_H). */
  staleAfterS: number;
  /** A day with heart rate in fewer local clock hours than this is a gap (COVERAGE_MIN_H). */
  coverageMinH: number;
  /** Local days (TRMNL_TZ). */
  timeZone: string;
}

export interface UserFreshness {
  user: string;
  /** Unix s of the newest accepted payload, or null when none ever arrived. */
  last_sync: number | null;
  age_s: number | null;
  /** Past STALE_AFTER_H; a user who never synced is not stale (a fresh install is not an alarm). */
  stale: boolean;
  /** Local dates of the last 30 full days (since the user's first sample) with too little heart rate. */
  gap_dates: string[];
}

export const GAP_WINDOW_DAYS = 30;
const QUARTER_S = 900;
/** Two days more than the window: whatever the zone, the oldest local day starts after now minus this. */
const WINDOW_S = (GAP_WINDOW_DAYS + 2) * 86400;

/** The `n` local dates before `today` ("YYYY-MM-DD"), newest first: calendar arithmetic, so DST cannot skip one. */
export function datesBefore(today: string, n: number): string[] {
  const [y, m, d] = today.split("-").map(Number) as [number, number, number];
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(y, m - 1, d - 1 - i)).toISOString().slice(0, 10));
}

/**
 * Gap days from the quarter-hours (ts / 900) that hold at least one sample. A local clock hour counts as covered
 * when any of its quarters has a sample: a watch at rest samples every few minutes, so a worn hour is covered.
 */
export function gapDates(quarters: Iterable<number>, firstTs: number | null, now: number, settings: Omit<FreshnessSettings, "staleAfterS">): string[] {
  if (firstTs === null) return [];
  const { timeZone, coverageMinH } = settings;
  const offsetAt = zoneOffsets(now - WINDOW_S, now, timeZone);
  const hoursByDate = new Map<string, Set<number>>();
  for (const quarter of quarters) {
    // wall-clock seconds written as if UTC: their ISO date is the local date, their hour the local hour
    const wall = quarter * QUARTER_S + offsetAt(quarter * QUARTER_S);
    const date = new Date(wall * 1000).toISOString().slice(0, 10);
    let hours = hoursByDate.get(date);
    if (!hours) hoursByDate.set(date, (hours = new Set()));
    hours.add(Math.floor(wall / 3600));
  }
  const first = localDate(firstTs, timeZone);
  return datesBefore(localDate(now, timeZone), GAP_WINDOW_DAYS)
    .filter((date) => date >= first && (hoursByDate.get(date)?.size ?? 0) < coverageMinH)
    .reverse();
}

/**
 * The zone's UTC offset over [from, to] in at most two pieces (a month holds at most one DST change), found with a
 * dozen Intl calls instead of one per quarter-hour (which made a month's scan cost a third of a second).
 */
export function zoneOffsets(from: number, to: number, timeZone: string): (ts: number) => number {
  const before = zoneOffsetS(from, timeZone);
  const after = zoneOffsetS(to, timeZone);
  if (before === after) return () => before;
  let lo = from;
  let hi = to;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetS(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return (ts) => (ts < hi ? before : after);
}

const SLICE = 50_000;

/** What the ledger holds for a user, read through its own interface (its disk layout is its business): for `status`. */
export function ledgerFacts(ledger: Ledger, user: string) {
  const first = ledger.firstTs(user);
  let samples = 0;
  let last: number | null = null;
  if (first !== null) {
    for (const slice of ledger.zoneRewrites(user, first, SLICE)) {
      samples += slice.credits.length;
      if (slice.credits.length) last = slice.credits.at(-1)!.ts;
    }
  }
  return { firstTs: first, lastTs: last, samples, lastSync: lastSync(ledger, user) };
}

function lastSync(ledger: Ledger, user: string): number | null {
  const held = ledger.getMeta(`last_sync:${user}`);
  return held === null ? null : Number(held);
}

/** Quarter-hours with a heart-rate instant since `from`, from the ledger's timeline. */
function coveredQuarters(ledger: Ledger, user: string, from: number): number[] {
  const quarters = new Set<number>();
  for (const slice of ledger.zoneRewrites(user, from, SLICE)) for (const credit of slice.credits) quarters.add(Math.floor(credit.ts / QUARTER_S));
  return [...quarters];
}

/** Every user the ledger knows: anyone with samples or records, and anyone who ever synced. */
export function knownUsers(ledger: Ledger): string[] {
  const synced = ledger.db
    .query<{ key: string }, []>("SELECT key FROM meta WHERE key LIKE 'last_sync:%'")
    .all()
    .map((row) => row.key.slice("last_sync:".length));
  return [...new Set([...ledger.users(), ...synced])].sort();
}

export function userFreshness(ledger: Ledger, user: string, now: number, settings: FreshnessSettings): UserFreshness {
  const synced = lastSync(ledger, user);
  const quarters = coveredQuarters(ledger, user, now - WINDOW_S);
  const age = synced === null ? null : Math.max(0, now - synced);
  return {
    user,
    last_sync: synced,
    age_s: age,
    stale: age !== null && age > settings.staleAfterS,
    gap_dates: gapDates(quarters, ledger.firstTs(user), now, settings),
  };
}

/** Freshness of the server's users, the gap scan reused for a minute (it reads up to a month of timeline). */
export class Freshness {
  private readonly held = new Map<string, { at: number; lastSync: number | null; value: UserFreshness }>();

  constructor(
    private readonly ledger: Ledger,
    readonly users: readonly string[],
    readonly settings: FreshnessSettings,
    private readonly clock: () => Date,
  ) {}

  all(): UserFreshness[] {
    const now = Math.floor(this.clock().getTime() / 1000);
    return this.users.map((user) => {
      const lastSync = this.ledger.getMeta(`last_sync:${user}`);
      const cached = this.held.get(user);
      const sync = lastSync === null ? null : Number(lastSync);
      if (cached && cached.lastSync === sync && now >= cached.at && now - cached.at < 60) {
        const age = sync === null ? null : Math.max(0, now - sync);
        return { ...cached.value, age_s: age, stale: age !== null && age > this.settings.staleAfterS };
      }
      const value = userFreshness(this.ledger, user, now, this.settings);
      this.held.set(user, { at: now, lastSync: sync, value });
      return value;
    });
  }
}
