// What each device reports on /api/display (battery, charge, signal), kept in DATA_DIR/trmnl/telemetry.json so a
// restart still knows which battery is running flat, and handed to the store as metrics.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { DeviceReading } from "../store/store";

export type { DeviceReading };

/** Below this the screen shows a low-battery mark: an OG's LiPo is near empty at 3.5 V under load. */
export const LOW_BATTERY_VOLTS = 3.5;
/** Or, from a device that reports its charge (TRMNL X, fw ≥ 1.8.5), at or below this. */
export const LOW_BATTERY_PERCENT = 15;

/** A header as a number within bounds, else null: clients fake some (trmnl-display sends battery-voltage 100.00). */
function within(value: string | null, min: number, max: number): number | null {
  if (value === null || value.trim() === "") return null;
  const n = Number(value.trim());
  return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

export function readDeviceReading(device: string, headers: Headers, ts: number): DeviceReading {
  return {
    device,
    ts,
    batteryVolts: within(headers.get("battery-voltage"), 2, 5),
    percentCharged: within(headers.get("percent-charged"), 0, 100),
    rssiDbm: within(headers.get("rssi"), -150, 0),
  };
}

export const batteryLow = (r: DeviceReading) =>
  (r.batteryVolts !== null && r.batteryVolts < LOW_BATTERY_VOLTS) || (r.percentCharged !== null && r.percentCharged <= LOW_BATTERY_PERCENT);

/** A damaged file (cut by a power loss mid-write before the rename existed) starts over: it is a cache of the store. */
function readLatest(file: string): Record<string, DeviceReading> {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { devices: Record<string, DeviceReading> }).devices ?? {};
  } catch {
    return {};
  }
}

/** The latest reading per device, rewritten whole (a handful of devices) through a temporary file and a rename. */
export class DeviceTelemetry {
  private readonly latest: Record<string, DeviceReading>;

  constructor(private readonly file: string) {
    this.latest = existsSync(file) ? readLatest(file) : {};
  }

  record(reading: DeviceReading): void {
    this.latest[reading.device] = reading;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ devices: this.latest }, null, 2) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  all(): DeviceReading[] {
    return Object.values(this.latest);
  }
}
