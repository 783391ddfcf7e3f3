// The one interface both stores implement; the contract tests in store.contract.ts hold them to it.
import type { ZoneRewrite } from "../ledger/ledger";
import type { RecordsUpdate } from "../ledger/records";
import type { SleepStage } from "../normalize/model";
import type { ZoneSeconds } from "../transform/zones";

export interface Summary {
  user: string;
  from: number;
  to: number;
  /** Seconds credited to each zone at instants from < ts <= to. */
  zone_seconds: ZoneSeconds;
  last_heart_rate: { ts: number; bpm: number } | null;
  /** Latest resting heart rate in the range. */
  resting_heart_rate: { ts: number; bpm: number } | null;
  /** Workouts that ended in the range. */
  workouts: { count: number; distance_m: number; duration_s: number; active_energy_kcal: number };
  /** The latest workout that ended in the range. */
  last_workout: { type: string; name: string; start: number; end: number; duration_s: number; avg_heart_rate: number | null } | null;
  /** The latest night that ended in the range. */
  last_sleep: { start: number; end: number; stage_seconds: Partial<Record<SleepStage, number>> } | null;
}

export interface HeartRatePoint {
  ts: number;
  bpm: number;
}

/** A local calendar day as instants: `start <= ts < end` (23 or 25 h across a DST change). */
export interface LocalDay {
  date: string;
  start: number;
  end: number;
}

/** What one local day holds: zone seconds credited at its instants, and its mean resting heart rate and HRV. */
export interface DayValues {
  date: string;
  zone_seconds: ZoneSeconds;
  /** Mean of the day's `hae_resting_heart_rate` points (bpm), or null. */
  rhr: number | null;
  /** Mean of the day's `hae_heart_rate_variability` points (SDNN, ms), or null. */
  hrv: number | null;
}

/** The gauges DayValues averages per day. */
export const DAILY_GAUGES = { rhr: "hae_resting_heart_rate", hrv: "hae_heart_rate_variability" } as const;

/** A delivery the store acknowledged but may have lost (e.g. VM restarted before persisting it). */
export interface LostWrite {
  user: string;
  /** Zone series must be rewritten from here, or null. */
  zonesSince: number | null;
  records: boolean;
}

/** What a TRMNL device reported on one /api/display: the trmnl_* metrics. Null = not reported (or not believable). */
export interface DeviceReading {
  /** The device's MAC, upper case: the `device` label. */
  device: string;
  /** Unix seconds: trmnl_last_seen_timestamp_seconds. */
  ts: number;
  /** trmnl_battery_volts */
  batteryVolts: number | null;
  /** trmnl_battery_percent (TRMNL X, fw >= 1.8.5) */
  percentCharged: number | null;
  /** trmnl_rssi_dbm */
  rssiDbm: number | null;
}

export interface StoreHealth {
  kind: "sqlite" | "victoriametrics";
  reachable: boolean;
  detail?: string;
}

export interface Store {
  readonly kind: StoreHealth["kind"];
  /**
   * Replaces the user's zone series and heart-rate gauge from `rewrite.since` on. `history` gives the
   * rewrite from the user's first sample in slices, for a store that must rebuild a series whole. A store may
   * still be writing a backfill's slice when this resolves (VM draws the next meanwhile): its next write or
   * `finishDelivery`, which the caller always runs after a user's slices, completes it or throws its error.
   */
  writeZones(rewrite: ZoneRewrite, history: () => Iterable<ZoneRewrite>): Promise<void>;
  /** Stores gauge points that changed (and rewrites moved series) and rebuilds whole each night or workout family given (null: unchanged). */
  writeRecords(update: RecordsUpdate): Promise<void>;
  summary(user: string, from: number, to: number): Promise<Summary>;
  /** One entry per day asked for, in the same order (days are contiguous and ascending). */
  daily(user: string, days: readonly LocalDay[]): Promise<DayValues[]>;
  /**
   * After a user's delivery (zones and records) is complete: a store keeping daily series derived from them
   * (VM's training_*) rewrites those from the earliest day the delivery changed. `firstTs` = the user's first instant;
   * `seq` = the delivery's number (see deliveredSeq).
   */
  finishDelivery?(user: string, firstTs: number | null, seq: number): Promise<void>;
  /**
   * A store that commits without waiting for the disk (the embedded one) keeps the `seq` of the last
   * `finishDelivery` in the same order as its writes: after a power cut that took its last commits it answers an
   * older number than the ledger's, and the caller delivers everything again (deliverPending). Absent: a store
   * durable at acknowledgement, or one answering `lostWrites` itself (VM).
   */
  deliveredSeq?(): number;
  /** Work a store with a write-ahead log leaves for when the server is idle (Pipeline): copying the log into its file. */
  checkpoint?(): void;
  /** Heart rate for from < ts <= to, at most one point per `stepS` (the last of each step). */
  heartRateSeries(user: string, from: number, to: number, stepS: number): Promise<HeartRatePoint[]>;
  health(): Promise<StoreHealth>;
  /** Stores a device's battery, charge, signal and last-seen time as the trmnl_* metrics (labelled `device`). */
  writeDeviceReading(reading: DeviceReading): Promise<void>;
  /** Per device, the latest value of each trmnl_* metric (a field not reported since stays as last reported). */
  deviceReadings(): Promise<DeviceReading[]>;
  /** Deliveries to repeat because the store may have lost them; a store durable at acknowledgement returns []. */
  lostWrites(): Promise<LostWrite[]>;
  /** Drops everything held for these users (replay starts from nothing). */
  clear(users: string[]): Promise<void>;
  close(): Promise<void>;
}
