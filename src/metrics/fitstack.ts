// fitstack's own metrics, by name: what the server counts while it runs. Scrape-time gauges are set by collectors.
import { readdirSync } from "node:fs";
import { Registry } from "./registry";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const FSYNC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const RENDER_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(version: string) {
  const registry = new Registry();
  const metrics = {
    registry,
    buildInfo: registry.gauge("fitstack_build_info", "fitstack's version (always 1)", ["version"]),
    requests: registry.counter("fitstack_http_requests_total", "HTTP requests by route template and status class", ["route", "code"]),
    hookBytes: registry.counter("fitstack_hook_received_bytes_total", "Bytes of hook bodies read"),
    hookSamples: registry.counter("fitstack_hook_samples_total", "Heart-rate samples in accepted hook bodies, by outcome", ["outcome"]),
    hookInvalid: registry.counter("fitstack_hook_invalid_samples_total", "Heart-rate samples dropped as invalid, by reason", ["reason"]),
    hookRecords: registry.counter("fitstack_hook_records_total", "Gauge points, nights and workouts in accepted hook bodies", ["kind"]),
    hookDuration: registry.histogram("fitstack_hook_duration_seconds", "Time from a hook's first body byte to its answer (accepted bodies)", LATENCY_BUCKETS),
    deliveryAttempts: registry.counter("fitstack_delivery_attempts_total", "Deliveries of the ledger's backlog to the store", ["store"]),
    deliveryFailures: registry.counter("fitstack_delivery_failures_total", "Deliveries that failed and left the backlog for the retrier", ["store"]),
    backlogUsers: registry.gauge("fitstack_delivery_backlog_users", "Users whose store copy is behind the ledger", ["store"]),
    backlogAge: registry.gauge("fitstack_delivery_backlog_age_seconds", "How long deliveries have been failing with a backlog (0 = none)", ["store"]),
    rawBytes: registry.gauge("fitstack_raw_log_bytes", "Size of the raw NDJSON log in DATA_DIR/raw"),
    rawFsync: registry.histogram("fitstack_raw_fsync_duration_seconds", "Time to write and fsync one raw-log entry", FSYNC_BUCKETS),
    renderDuration: registry.histogram("fitstack_render_duration_seconds", "Time to render one TRMNL dashboard PNG", RENDER_BUCKETS),
    lastSync: registry.gauge("fitstack_last_sync_timestamp_seconds", "When the user's newest accepted payload arrived (unix s)", ["user"]),
    gapDays: registry.gauge("fitstack_heart_rate_gap_days", "Of the last 30 full days, those with heart rate in fewer than COVERAGE_MIN_H hours", ["user"]),
    trmnlLastPoll: registry.gauge("fitstack_trmnl_last_poll_timestamp_seconds", "When a listed TRMNL device last fetched its screen (unix s)", ["device"]),
    rss: registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes"),
    cpu: registry.counter("process_cpu_seconds_total", "User and system CPU time spent in seconds"),
    openFds: registry.gauge("process_open_fds", "Open file descriptors"),
    startTime: registry.gauge("process_start_time_seconds", "Start time of the process since the unix epoch in seconds"),
  };
  metrics.buildInfo.set({ version }, 1);
  // counters present at 0 from the start, so rate() and increase() see the first samples counted
  for (const outcome of ["accepted", "duplicate", "invalid"]) metrics.hookSamples.inc({ outcome }, 0);
  for (const kind of ["gauge", "night", "workout"]) metrics.hookRecords.inc({ kind }, 0);
  const started = Math.round(Date.now() / 1000 - process.uptime());
  registry.onCollect(() => {
    metrics.rss.set({}, process.memoryUsage.rss());
    const cpu = process.cpuUsage();
    metrics.cpu.setTotal({}, (cpu.user + cpu.system) / 1e6);
    metrics.startTime.set({}, started);
    const fds = openFds();
    if (fds !== null) metrics.openFds.set({}, fds);
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Linux only (/proc); elsewhere the gauge is left out. */
function openFds(): number | null {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return null;
  }
}

/** "2xx" … "5xx": the status class, so the label stays bounded whatever a handler answers. */
export const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;
