// An export → the ledger, through Ledger.ingest only, in short transactions of one record type each (a
// running `serve` writes between them), then ONE delivery: the store's tail is rewritten once, not per batch.
import type { Ledger, ZoneBounds } from "../ledger/ledger";
import { HealthKitAdapter } from "../normalize/healthkit";
import type { GaugeSample, HeartRateSample, SleepNight, SleepSegment, Workout } from "../normalize/model";
import { sampleProblem } from "../transform/zones";
import { scanHealthXml } from "./scanner";
import type { ExportSource } from "./source";

export interface TypeReport {
  /** Records of the type in the file, skipped ones included (cumulative types: the hourly totals made from them; sleep: nights). */
  read: number;
  /** New or changed in the ledger. */
  imported: number;
  /** Already held (an earlier import, or the webhook). */
  held: number;
  skipped: Record<string, number>;
  /** Unix seconds of the earliest and latest imported or held item. */
  from: number | null;
  to: number | null;
}

export interface ImportProgress {
  bytes: number;
  total: number | null;
  records: number;
  elapsedMs: number;
}

export interface ImportReport {
  file: string;
  xmlBytes: number | null;
  bytesRead: number;
  /** False when the XML or the zip stopped early: everything before the damage was imported. */
  complete: boolean;
  stoppedAt: { byte: number; lastRecordDate: string | null; error: string } | null;
  seconds: number;
  types: Record<string, TypeReport>;
  notImported: Record<string, number>;
}

export interface ImportOptions {
  user: string;
  /** As the hook credits: fixed bounds, or dated profiles' bounds per instant. */
  boundsBpm: ZoneBounds;
  since?: string;
  sourcePriority: string[];
  /** Unix seconds: samples more than two days ahead are refused, as on the webhook. */
  now: number;
  onProgress?: (progress: ImportProgress) => void;
}

/** Items per ledger transaction: short enough that a concurrent hook post waits a fraction of a second. */
const BATCH = 5_000;
/** A full garbage collection after this many items (see flush). */
const GC_EVERY = 20_000;

interface Batch {
  key: string;
  heartRate: HeartRateSample[];
  gauges: GaugeSample[];
  sleep: SleepNight[];
  workouts: Workout[];
}

export async function importExport(source: ExportSource, ledger: Ledger, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const types: Record<string, TypeReport> = {};
  const typeReport = (key: string) => (types[key] ??= { read: 0, imported: 0, held: 0, skipped: {}, from: null, to: null });
  const span = (report: TypeReport, ts: number) => {
    if (report.from === null || ts < report.from) report.from = ts;
    if (report.to === null || ts > report.to) report.to = ts;
  };
  let records = 0;
  let itemsSinceGc = 0;
  const notImported: Record<string, number> = { ...source.notImported };
  let batch: Batch = { key: "", heartRate: [], gauges: [], sleep: [], workouts: [] };
  const size = () => batch.heartRate.length + batch.gauges.length + batch.sleep.length + batch.workouts.length;

  const flush = () => {
    if (!size()) return;
    const report = typeReport(batch.key);
    const valid = batch.heartRate.filter((sample) => {
      const problem = sampleProblem(sample, options.now);
      if (problem) report.skipped[problem] = (report.skipped[problem] ?? 0) + 1;
      else span(report, sample.ts);
      return !problem;
    });
    for (const g of batch.gauges) span(report, g.ts);
    for (const w of batch.workouts) span(report, w.start);
    for (const n of batch.sleep) span(report, n.start), span(report, n.end);
    const result = ledger.ingest(options.user, valid, options.boundsBpm, undefined, { gauges: batch.gauges, sleep: batch.sleep, workouts: batch.workouts });
    report.imported += result.accepted + result.recordsChanged;
    report.held += result.duplicates + (batch.gauges.length + batch.workouts.length - result.recordsChanged - result.recordsDropped);
    if (result.recordsDropped) report.skipped["too many metrics or units"] = (report.skipped["too many metrics or units"] ?? 0) + result.recordsDropped;
    itemsSinceGc += size();
    batch = { key: "", heartRate: [], gauges: [], sleep: [], workouts: [] };
    // the scanner's garbage outruns the collector on a big file (measured: 408 MB peak for 1 M records
    // without this, 142 MB with it, ~1 s more CPU): memory must not grow with the file
    if (itemsSinceGc >= GC_EVERY) {
      Bun.gc(true);
      itemsSinceGc = 0;
    }
  };
  const into = (key: string) => {
    if (batch.key !== key || size() >= BATCH) {
      flush();
      batch.key = key;
    }
    typeReport(key).read++;
    records++;
    return batch;
  };

  const adapter = new HealthKitAdapter(
    {
      heartRate: (sample) => into("heart_rate").heartRate.push(sample),
      gauge: (sample) => into(sample.name).gauges.push(sample),
      workout: (workout) => into("workouts").workouts.push(workout),
      sleep: (source: string, segments: SleepSegment[], nights: number) => {
        const b = into("sleep");
        typeReport("sleep").read += nights - 1;
        let start = Infinity;
        let end = -Infinity;
        for (const s of segments) (start = Math.min(start, s.start)), (end = Math.max(end, s.end));
        // one carrier per source: the ledger adds its segments to the union and rebuilds the nights once
        b.sleep.push({ start, end, source, stageSeconds: {}, segments });
      },
      skipped: (key, reason) => {
        if (key.startsWith("element:")) {
          const element = `<${key.slice(8)}>`;
          notImported[element] = (notImported[element] ?? 0) + 1;
          return;
        }
        const report = typeReport(key);
        report.read++;
        report.skipped[reason] = (report.skipped[reason] ?? 0) + 1;
      },
    },
    { since: options.since, sourcePriority: options.sourcePriority },
  );

  let bytesRead = 0;
  let error: string | null = null;
  let stoppedAtByte = 0;
  let lastProgress = 0;
  try {
    const scan = await scanHealthXml(source.bytes(), adapter, (bytes) => {
      bytesRead = bytes;
      const now = performance.now();
      if (options.onProgress && now - lastProgress > 200) {
        lastProgress = now;
        options.onProgress({ bytes, total: source.xmlBytes, records, elapsedMs: now - started });
      }
    });
    bytesRead = scan.bytes;
    if (!scan.complete) {
      error = "the XML ends before </HealthData> (file cut short)";
      stoppedAtByte = scan.stoppedAt ?? scan.bytes;
    }
  } catch (err) {
    // a damaged zip: what inflated before the damage went through the adapter already
    error = (err as Error).message;
    stoppedAtByte = bytesRead;
  }
  adapter.finish();
  flush();
  options.onProgress?.({ bytes: bytesRead, total: source.xmlBytes, records, elapsedMs: performance.now() - started });
  // sleep's read count is nights; nights rebuilt from a union say "changed" once per source
  const sleep = types.sleep;
  if (sleep) {
    const changed = Math.min(sleep.imported, sleep.read);
    sleep.imported = changed ? sleep.read : 0;
    sleep.held = changed ? 0 : sleep.read;
  }
  return {
    file: source.name,
    xmlBytes: source.xmlBytes,
    bytesRead,
    complete: error === null && !source.truncatedZip,
    stoppedAt: error !== null || source.truncatedZip ? { byte: stoppedAtByte || bytesRead, lastRecordDate: adapter.lastDate, error: error ?? "the zip has no central directory (cut short)" } : null,
    seconds: (performance.now() - started) / 1000,
    types,
    notImported,
  };
}
