// Upgrade in place: an embedded store written with one row per instant (heart_rate, zone_credit) is moved
// into user-day blocks on first open, in one transaction.
import type { Database } from "bun:sqlite";
import { DAY_S } from "../ledger/day-block";
import type { Credit } from "../transform/zones";
import type { HeartRateDayStore } from "./sqlite-days";

export function migrateCreditRows(db: Database, days: HeartRateDayStore): number {
  const old = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'heart_rate'").get();
  if (!old) return 0;
  let moved = 0;
  db.transaction(() => {
    const users = db.query<{ user: string }, []>("SELECT DISTINCT user FROM heart_rate ORDER BY user").all();
    // an instant without a zone_credit row earned nothing (the first of a history): its zone never counts
    const rows = db.query<Credit, [string]>(
      `SELECT h.ts AS ts, h.bpm AS bpm, COALESCE(z.zone, 0) AS zone, COALESCE(z.seconds, 0) AS seconds
       FROM heart_rate h LEFT JOIN zone_credit z ON z.user = h.user AND z.ts = h.ts WHERE h.user = ? ORDER BY h.ts`,
    );
    for (const { user } of users) {
      let day: number | null = null;
      let block: Credit[] = [];
      for (const row of rows.iterate(user)) {
        const rowDay = Math.floor(row.ts / DAY_S);
        if (rowDay !== day) {
          if (day !== null) days.restoreDay(user, day, block);
          day = rowDay;
          block = [];
        }
        block.push({ ts: row.ts, bpm: row.bpm, zone: row.zone, seconds: row.seconds });
        moved++;
      }
      if (day !== null) days.restoreDay(user, day, block);
    }
    db.exec("DROP TABLE heart_rate; DROP TABLE IF EXISTS zone_credit;");
  })();
  days.loadIds();
  db.exec("VACUUM");
  return moved;
}
