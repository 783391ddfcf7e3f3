// The embedded store: bun:sqlite in DATA_DIR, so a fresh machine needs nothing else.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { ZoneRewrite } from "../ledger/ledger";
import { emptyZoneSeconds, ZONES } from "../transform/zones";
import type { Store, StoreHealth, Summary } from "./store";

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: Database;

  constructor(dataDir: string | ":memory:") {
    this.db = new Database(dataDir === ":memory:" ? ":memory:" : join(dataDir, "metrics.sqlite"), { create: true, strict: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS zone_credit (
        user TEXT NOT NULL, ts INTEGER NOT NULL, zone INTEGER NOT NULL, seconds REAL NOT NULL,
        PRIMARY KEY (user, ts)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS heart_rate (
        user TEXT NOT NULL, ts INTEGER NOT NULL, bpm REAL NOT NULL,
        PRIMARY KEY (user, ts)) WITHOUT ROWID;
    `);
  }

  async writeZones(rewrite: ZoneRewrite): Promise<void> {
    const { user, since, credits } = rewrite;
    const zone = this.db.query("INSERT INTO zone_credit (user, ts, zone, seconds) VALUES (?, ?, ?, ?)");
    const heartRate = this.db.query("INSERT INTO heart_rate (user, ts, bpm) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      this.db.query("DELETE FROM zone_credit WHERE user = ? AND ts >= ?").run(user, since);
      this.db.query("DELETE FROM heart_rate WHERE user = ? AND ts >= ?").run(user, since);
      for (const c of credits) {
        if (c.seconds > 0) zone.run(user, c.ts, c.zone, c.seconds);
        heartRate.run(user, c.ts, c.bpm);
      }
    })();
  }

  async summary(user: string, from: number, to: number): Promise<Summary> {
    const zoneSeconds = emptyZoneSeconds();
    const rows = this.db
      .query<{ zone: number; seconds: number }, [string, number, number]>(
        "SELECT zone, SUM(seconds) AS seconds FROM zone_credit WHERE user = ? AND ts > ? AND ts <= ? GROUP BY zone",
      )
      .all(user, from, to);
    for (const row of rows) zoneSeconds[ZONES[row.zone]!] = row.seconds;
    const last = this.db
      .query<{ ts: number; bpm: number }, [string, number, number]>(
        "SELECT ts, bpm FROM heart_rate WHERE user = ? AND ts > ? AND ts <= ? ORDER BY ts DESC LIMIT 1",
      )
      .get(user, from, to);
    return { user, from, to, zone_seconds: zoneSeconds, last_heart_rate: last ?? null };
  }

  async health(): Promise<StoreHealth> {
    try {
      this.db.query("SELECT 1").get();
      return { kind: this.kind, reachable: true };
    } catch (err) {
      return { kind: this.kind, reachable: false, detail: (err as Error).message };
    }
  }

  async clear(users: string[]): Promise<void> {
    for (const user of users) {
      this.db.query("DELETE FROM zone_credit WHERE user = ?").run(user);
      this.db.query("DELETE FROM heart_rate WHERE user = ?").run(user);
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
