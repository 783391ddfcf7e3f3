// Upgrade in place: a ledger written with one row per sample (hr_sample, credit, zone_total) is moved
// into user-day blocks on first open, in one transaction, keeping every sample and every credited zone.
import type { Database } from "bun:sqlite";
import type { HeartRateSample } from "../normalize/model";
import { DAY_S, dayOf } from "./day-block";
import type { HeartRateDays } from "./hr-days";

/** Returns how many sample rows were moved (0 when the ledger already has the compact layout). */
export function migrateSampleRows(db: Database, days: HeartRateDays): number {
  const old = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'hr_sample'").get();
  if (!old) return 0;
  let moved = 0;
  db.transaction(() => {
    const users = db.query<{ user: string }, []>("SELECT DISTINCT user FROM hr_sample ORDER BY user").all();
    const zonesOf = db.query<{ ts: number; zone: number }, [string, number, number]>(
      "SELECT ts, zone FROM credit WHERE user = ? AND ts >= ? AND ts < ?",
    );
    for (const { user } of users) {
      let day: number | null = null;
      let batch: HeartRateSample[] = [];
      const flush = () => {
        if (day === null || !batch.length) return;
        const zoneAt = new Map(zonesOf.all(user, day * DAY_S, (day + 1) * DAY_S).map((row) => [row.ts, row.zone]));
        days.restore(user, batch, zoneAt);
        moved += batch.length;
        batch = [];
      };
      const rows = db
        .query<HeartRateSample, [string]>("SELECT ts, bpm, source, device FROM hr_sample WHERE user = ? ORDER BY ts, source, device")
        .iterate(user);
      for (const row of rows) {
        if (dayOf(row.ts) !== day) {
          flush();
          day = dayOf(row.ts);
        }
        batch.push({ ts: row.ts, bpm: row.bpm, source: row.source, device: row.device });
      }
      flush();
    }
    db.exec("DROP TABLE hr_sample; DROP TABLE IF EXISTS credit; DROP TABLE IF EXISTS zone_total;");
  })();
  days.loadIds();
  // give the freed pages back to the file system (the per-sample tables were most of the file)
  db.exec("VACUUM");
  return moved;
}
