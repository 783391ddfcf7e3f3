// User name → small integer id, from a table `hr_user (id, name UNIQUE)`, cached; used by the ledger's and the
// embedded store's user-day rows alike.
import type { Database } from "bun:sqlite";

export class UserIds {
  private ids = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** Re-reads the ids: a rolled-back transaction may have taken back one handed out in it. */
  reload() {
    this.ids = new Map(this.db.query<{ id: number; name: string }, []>("SELECT id, name FROM hr_user").all().map((r) => [r.name, r.id]));
  }

  /** The user's id; with `create`, one is made for a new user. */
  get(name: string, create: boolean): number | null {
    let id = this.ids.get(name);
    if (id === undefined) {
      // two JS strings can be one SQLite text (lone surrogates become U+FFFD), so ask the table
      if (create) this.db.query("INSERT INTO hr_user (name) VALUES (?) ON CONFLICT DO NOTHING").run(name);
      id = this.db.query<{ id: number }, [string]>("SELECT id FROM hr_user WHERE name = ?").get(name)?.id;
      if (id !== undefined) this.ids.set(name, id);
    }
    return id ?? null;
  }
}
