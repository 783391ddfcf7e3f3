// GET /api/load?from=YYYY-MM-DD&to=YYYY-MM-DD: training load, form, weekly minutes and baselines (Bearer, like /api/summary).
import { Elysia, t } from "elysia";
import type { bearerAuth } from "../auth";
import { HttpError } from "../errors";
import { localDate } from "../render/format";
import type { Store } from "../store/store";
import { addDays } from "../trmnl/localTime";
import { readLoad, type LoadSettings } from "./report";

/** Days answered when `from` is not given (`to` defaults to today). */
const DEFAULT_DAYS = 28;
/** A range longer than this is refused (ten years of days). */
const MAX_DAYS = 3660;

export interface LoadDeps {
  store: Store;
  settings: LoadSettings;
  /** Bearer auth (the app's, so both share one list of people): routes get `person`. */
  auth: ReturnType<typeof bearerAuth>;
  /** The person's first heart-rate instant (the ledger's), or null. */
  firstTs: (user: string) => number | null;
  clock: () => Date;
}

const DATE = "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$";
const date = (name: string) => t.Optional(t.String({ pattern: DATE, error: `${name} must be a date YYYY-MM-DD` }));

export function loadRoutes({ store, settings, auth, firstTs, clock }: LoadDeps) {
  return new Elysia({ name: "load" })
    .use(auth)
    .get(
      "/api/load",
      async ({ person, query }) => {
        const to = query.to ?? localDate(clock().getTime() / 1000, settings.timeZone);
        const from = query.from ?? addDays(to, 1 - DEFAULT_DAYS);
        for (const [name, value] of [["from", from], ["to", to]] as const) {
          // the pattern lets 2025-02-31 through; a real date reads back the same
          if (addDays(value, 0) !== value) throw new HttpError(400, "invalid_query", `${name} is not a calendar date: "${value}"`, name);
        }
        if (from > to) throw new HttpError(400, "invalid_range", "from must not be after to", "from");
        if (addDays(from, MAX_DAYS) <= to) throw new HttpError(400, "invalid_range", `at most ${MAX_DAYS} days at once`, "from");
        return Response.json(await readLoad(store, person.user, from, to, settings, firstTs(person.user)));
      },
      { query: t.Object({ from: date("from"), to: date("to") }) },
    );
}
