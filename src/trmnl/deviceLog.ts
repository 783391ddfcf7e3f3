// What devices POST to /api/log, one JSON line per entry in DATA_DIR/trmnl/device-logs.ndjson (rotated once at 5 MB).
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { HttpError } from "../errors";

const ROTATE_BYTES = 5 * 1024 * 1024;

/** Both shapes the firmware sends: `{"logs":[…]}`, and older firmware's `{"log":{"logs_array":[…]}}`. */
export function logEntries(body: unknown): unknown[] {
  const b = body as { logs?: unknown; log?: { logs_array?: unknown } } | null;
  if (b && Array.isArray(b.logs)) return b.logs;
  if (b && b.log && Array.isArray(b.log.logs_array)) return b.log.logs_array;
  throw new HttpError(422, "invalid_log", 'expected {"logs":[…]} or {"log":{"logs_array":[…]}}', "logs");
}

export class DeviceLog {
  constructor(readonly file: string) {}

  append(device: string, entries: unknown[], receivedAt: Date): void {
    if (entries.length === 0) return;
    mkdirSync(dirname(this.file), { recursive: true });
    if (existsSync(this.file) && statSync(this.file).size > ROTATE_BYTES) renameSync(this.file, `${this.file}.1`);
    const at = receivedAt.toISOString();
    appendFileSync(this.file, entries.map((entry) => JSON.stringify({ received_at: at, device, entry }) + "\n").join(""));
  }
}
