// The default, human-readable report: one block per file, then the total.
import { duration } from "../render/format";
import type { FileReport, StatsReport, SummaryReport } from "./report";

const KEYS_SHOWN = 14;
const PROBLEMS_SHOWN = 8;
const SKIPPED_SHOWN = 20;

export function renderText(report: SummaryReport): string {
  const { zones } = report;
  const bytes = report.files.reduce((n, f) => n + f.bytes, 0);
  const model = zones.mode === "karvonen" ? `Karvonen (HR_MAX ${zones.hrMax}, RHR ${zones.rhr})` : `% of HR_MAX ${zones.hrMax}`;
  const lines = [
    `fitstack summarize ${report.dir}: ${report.files.length} file${report.files.length === 1 ? "" : "s"}, ${megabytes(bytes)}, now ${report.now}`,
    `zones: ${model}: ${zones.boundsBpm.map((b, i) => `z${i + 2} ≥ ${b}`).join(" · ")} bpm`,
    "",
  ];
  for (const file of report.files) lines.push(...fileBlock(file), "");
  if (report.skipped.length) lines.push(...skippedBlock(report.skipped), "");
  lines.push(`TOTAL (${report.files.filter((f) => f.status !== "unreadable").length} of ${report.files.length} files readable)`);
  lines.push(...statsLines(report.total, true));
  if (report.plots.length) lines.push("", `plots: ${report.plots.join(", ")}`);
  return lines.join("\n") + "\n";
}

function fileBlock(file: FileReport): string[] {
  const shapes = Object.entries(file.shapes).filter(([, n]) => n > 0).map(([s, n]) => (file.entries > 1 ? `${s} ×${n}` : s));
  const head = [file.format, ...(file.rawEntries ? [`${file.rawEntries} raw-log entries`] : []), ...shapes, megabytes(file.bytes), file.status.toUpperCase()];
  return [`▸ ${file.path}  (${head.join(", ")})`, ...statsLines(file, false)];
}

function skippedBlock(skipped: SummaryReport["skipped"]): string[] {
  const shown = skipped.slice(0, SKIPPED_SHOWN).map(({ path, reason }) => `    ${path}: ${reason}`);
  const more = skipped.length > SKIPPED_SHOWN ? [`    … ${skipped.length - SKIPPED_SHOWN} more (--json lists all)`] : [];
  return [`▸ skipped ${skipped.length} file${skipped.length === 1 ? "" : "s"} (not read)`, ...shown, ...more];
}

function statsLines(s: StatsReport, total: boolean): string[] {
  const row = (label: string, text: string) => `    ${label.padEnd(11)}${text}`;
  const out: string[] = [];
  const metrics = Object.entries(s.records.metrics).map(([name, m]) => {
    const units = m.units.length ? ` [${m.units.join(", ")}]` : "";
    const cadence = m.medianIntervalS !== null ? `, every ${seconds(m.medianIntervalS)}` : "";
    return `${name} ${count(m.points)}${units}${cadence}`;
  });
  if (s.records.workouts) metrics.push(`workouts ${s.records.workouts}${s.records.workoutHeartRatePoints ? ` (${count(s.records.workoutHeartRatePoints)} HR points)` : ""}`);
  for (const [name, n] of Object.entries(s.records.sections)) if (name !== "workouts") metrics.push(`${name} ${count(n)}`);
  out.push(row("records", metrics.length ? metrics.join(" · ") : "none"));
  const strict = [s.strict.accepted && `${s.strict.accepted} accepted`, s.strict.rejected && `${s.strict.rejected} rejected (422/400)`];
  out.push(row("webhook", `${strict.filter(Boolean).join(", ") || "nothing to check"}${total ? ` · ${s.entries} documents` : ""}`));
  if (s.time.firstUtc) {
    const local = s.time.offset ? `  ·  local ${s.time.firstLocal} → ${s.time.lastLocal}` : "";
    out.push(row("time", `${s.time.firstUtc} → ${s.time.lastUtc}${local}`));
  }
  const hr = s.heartRate;
  if (hr) {
    const cadence = hr.medianIntervalS !== null ? `, median interval ${seconds(hr.medianIntervalS)}` : "";
    out.push(row("heart rate", `${count(hr.samples)} samples (${count(hr.credited)} credited), ${hr.minBpm}–${hr.maxBpm} bpm${cadence}`));
    const zones = Object.entries(hr.zoneSeconds).map(([z, sec]) => `${z} ${duration(sec)}`);
    out.push(row("zones", `${zones.join(" · ")}  (credited ${duration(hr.creditedSeconds)}${total ? ", each file on its own" : ""})`));
  }
  out.push(row("anomalies", anomalyText(s).join("\n" + " ".repeat(15)) || "none"));
  const keys = Object.entries(s.keys);
  if (!total && keys.length) {
    const shown = keys.slice(0, KEYS_SHOWN).map(([k, n]) => `${k} ${count(n)}`).join(" · ");
    out.push(row("keys", shown + (keys.length > KEYS_SHOWN ? ` · … ${keys.length - KEYS_SHOWN} more (--json)` : "")));
  }
  for (const p of s.problems.slice(0, total ? 0 : PROBLEMS_SHOWN)) out.push(row("problem", `${p.at ? `${p.at}: ` : ""}${p.message}`));
  if (!total && s.problemCount > PROBLEMS_SHOWN) out.push(row("", `… ${s.problemCount - PROBLEMS_SHOWN} more problems (--json lists 20)`));
  if (total && s.problemCount) out.push(row("problems", `${s.problemCount} (see the files above)`));
  return out;
}

function anomalyText(s: StatsReport): string[] {
  const a = s.anomalies;
  const out: string[] = [];
  const first = (o: { first: string | null }) => (o.first ? ` (first: ${o.first})` : "");
  if (a.gaps.count) out.push(`${count(a.gaps.count)} gaps over 10 s, longest ${seconds(a.gaps.longestS)} from ${a.gaps.longestFromUtc}`);
  if (a.duplicateTimestamps.count) out.push(`${count(a.duplicateTimestamps.count)} duplicate timestamps (first at ${a.duplicateTimestamps.first})`);
  if (a.nonIncreasingTimestamps.count) out.push(`${count(a.nonIncreasingTimestamps.count)} non-increasing timestamps${first(a.nonIncreasingTimestamps)}`);
  if (a.bpmOutOfRange.count) out.push(`${count(a.bpmOutOfRange.count)} bpm outside 25–250${first(a.bpmOutOfRange)}`);
  if (a.millisecondTimestamps.count) out.push(`${count(a.millisecondTimestamps.count)} timestamps in milliseconds${first(a.millisecondTimestamps)}`);
  if (a.futureTimestamps.count) out.push(`${count(a.futureTimestamps.count)} timestamps in the future${first(a.futureTimestamps)}`);
  if (a.beforeYear2000.count) out.push(`${count(a.beforeYear2000.count)} timestamps before 2000${first(a.beforeYear2000)}`);
  if (a.unreadablePoints.count) out.push(`${count(a.unreadablePoints.count)} unreadable points${first(a.unreadablePoints)}`);
  if (a.mixedOffsets.count) out.push(`mixed UTC offsets: ${Object.entries(s.time.offsets).map(([o, n]) => `${o} ×${count(n)}`).join(", ")}`);
  if (a.unknownMetrics.count) out.push(`unknown metrics: ${Object.entries(a.unknownMetrics.names).map(([n, c]) => `${n} (${count(c)})`).join(", ")}`);
  if (a.unexpectedKeys.count) out.push(`unexpected keys: ${Object.entries(a.unexpectedKeys.keys).map(([k, c]) => `${k} ×${count(c)}`).join(", ")}`);
  if (a.outOfBounds.count) out.push(`out of bounds, dropped: ${Object.entries(a.outOfBounds.reasons).map(([r, c]) => `${r} ×${count(c)}`).join(", ")}`);
  return out;
}

const count = (n: number) => n.toLocaleString("en-US");

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** 5 → "5 s", 60 → "1 min", 3900 → "1h 05m". */
function seconds(s: number): string {
  if (s < 60) return `${Math.round(s * 10) / 10} s`;
  if (s < 3600 && s % 60 === 0) return `${s / 60} min`;
  return duration(s);
}
