// What every accepted payload shape becomes before the transform: plain data, no I/O.

/** One heart-rate reading at an instant (unix seconds, integer). */
export interface HeartRateSample {
  ts: number;
  bpm: number;
  source: string;
  device: string;
}

/** A point of a plain gauge metric, e.g. hae_resting_heart_rate{unit="count/min"}. */
export interface GaugeSample {
  /** Metric name as stored, already prefixed (e.g. "hae_step_count"). */
  name: string;
  /** Normalised unit label (e.g. "kcal", "km", "degC", "count/min"). */
  unit: string;
  ts: number;
  value: number;
  source: string;
}

export type SleepStage = "deep" | "core" | "rem" | "awake" | "asleep" | "in_bed";

/** One night, attributed to the instant it ended. */
export interface SleepNight {
  start: number;
  end: number;
  source: string;
  /** Seconds per stage; in_bed overlaps the others and is not part of sleep. */
  stageSeconds: Partial<Record<SleepStage, number>>;
  /**
   * The segments a per-segment export built this night from: the ledger keeps the union of every
   * segment ever received, so a window re-sent from the middle of the night adds to it, never replaces it.
   */
  segments?: SleepSegment[];
}

export interface SleepSegment {
  start: number;
  end: number;
  stage: SleepStage;
}

export interface Workout {
  /** HAE v2 id, or name+start for v1. */
  id: string;
  name: string;
  start: number;
  end: number;
  durationS: number;
  activeEnergyKcal?: number;
  distanceKm?: number;
  avgHeartRate?: number;
  maxHeartRate?: number;
}

export interface Normalized {
  shape: "fixture" | "hae";
  heartRate: HeartRateSample[];
  gauges: GaugeSample[];
  sleep: SleepNight[];
  workouts: Workout[];
  /** Entries kept in the raw log but not turned into metrics, by name (unknown metrics, other arrays). */
  ignored: Record<string, number>;
  /** Records or fields dropped for a number outside its plausible bounds (normalize/bounds.ts), by reason. */
  invalid?: Record<string, number>;
  /** Where a streamed piece's items sit in the body (normalize/stream.ts): the array's path and its first index. */
  at?: { items: string; first: number };
}
