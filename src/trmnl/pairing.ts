// Pairing windows: when a listed TRMNL device may get a key at /api/setup or have the key it brings adopted.
// A MAC is printed on the device and seen on Wi-Fi, so knowing one must not be enough outside a short window.
// `fitstack trmnl pair MAC` writes DATA_DIR/trmnl/pairing.json (MAC → when it was opened); the server only reads it,
// so the command works while the server runs and the two never write the same file.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const PAIRING_FILE = "pairing.json";

/** The instants (unix ms) `trmnl pair` opened a window for each MAC, read again whenever the file changes. */
export class PairingRequests {
  private seen = "";
  private opened: Record<string, number> = {};

  constructor(private readonly file: string) {}

  openedAt(mac: string): number | null {
    this.refresh();
    return this.opened[mac] ?? null;
  }

  private refresh() {
    let version: string;
    try {
      const stat = statSync(this.file);
      version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`; // the command renames a new file in: a new inode
    } catch {
      this.opened = {};
      this.seen = "";
      return;
    }
    if (version === this.seen) return;
    this.seen = version;
    this.opened = readPairingFile(this.file);
  }
}

function readPairingFile(file: string): Record<string, number> {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { opened?: Record<string, string> };
    const opened: Record<string, number> = {};
    for (const [mac, at] of Object.entries(parsed.opened ?? {})) {
      const ms = Date.parse(at);
      if (Number.isFinite(ms)) opened[mac] = ms;
    }
    return opened;
  } catch {
    return {}; // absent or half-written by hand: no window is opened by it
  }
}

/** `fitstack trmnl pair MAC`: (re)opens MAC's window from `now`, keeping the other MACs' entries. */
export function openPairing(file: string, mac: string, now: Date): void {
  const held = readPairingFile(file);
  const opened = Object.fromEntries(Object.entries(held).map(([m, ms]) => [m, new Date(ms).toISOString()]));
  opened[mac] = now.toISOString();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ opened }, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}
