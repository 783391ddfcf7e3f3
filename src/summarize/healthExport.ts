// `summarize export.zip|export.xml`: what an import would bring, read into memory only (nothing kept).
import { importExport, type ImportReport } from "../import/importer";
import { openExport } from "../import/source";
import { Ledger } from "../ledger/ledger";
import { parseSourcePriority } from "../normalize/healthkit";
import { deliverPending } from "../pipeline";
import { SqliteStore } from "../store/sqlite";
import type { Summary } from "../store/store";
import { zoneBoundsBpm, type ZoneProfile } from "../transform/zones";

export interface ExportSummary {
  import: ImportReport;
  /** Zone time, workouts and the last night over the export's whole range, as the server would show them. */
  summary: Summary | null;
}

/** Throws NotAnExportError when the file is neither a zip nor a HealthKit export. */
export async function summarizeExport(path: string, profile: ZoneProfile, env: Record<string, string | undefined>, now: number): Promise<ExportSummary> {
  const source = await openExport(path);
  const ledger = new Ledger(":memory:");
  const store = new SqliteStore(":memory:");
  try {
    const report = await importExport(source, ledger, { user: "me", boundsBpm: zoneBoundsBpm(profile), sourcePriority: parseSourcePriority(env.SOURCE_PRIORITY), now });
    await deliverPending(ledger, store);
    const spans = Object.values(report.types).flatMap((t) => (t.from === null ? [] : [t.from, t.to!]));
    const summary = spans.length ? await store.summary("me", Math.min(...spans) - 1, Math.max(...spans)) : null;
    return { import: report, summary };
  } finally {
    await store.close();
    ledger.close();
  }
}
