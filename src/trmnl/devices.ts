// TRMNL devices allowed by TRMNL_DEVICES, with the API key each got at /api/setup, kept in DATA_DIR/trmnl/devices.json.
// A key is issued (or a brought one adopted) only while the MAC's pairing window is open (pairing.ts).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sameSecret } from "../auth";
import type { Logger } from "../log";
import type { PairingRequests } from "./pairing";

export interface Device {
  mac: string;
  user: string;
  friendlyId: string;
}

interface HeldKey {
  api_key: string;
  friendly_id: string;
  created_at: string;
  /** When the device first used the key (or brought it); null until then. Absent in files from before pairing windows. */
  paired_at?: string | null;
}

export interface PairingPolicy {
  requests: PairingRequests;
  windowS: number;
  clock: () => Date;
}

/** Keys the firmware may bring from another server (TRMNL's cloud uses 22 characters); shorter ones are not adopted. */
const MIN_ADOPTED_KEY = 16;

const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
const randomFriendlyId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(3))).toString("hex").toUpperCase();

export class DeviceRegistry {
  private readonly keys: Record<string, HeldKey>;
  /** Listed MACs never paired when the server started: open for the window from then. */
  private readonly openAtStart = new Set<string>();
  private readonly startedAt: number;

  constructor(
    private readonly file: string,
    private readonly allowed: { mac: string; user: string }[],
    private readonly log: Logger,
    private readonly pairing: PairingPolicy,
  ) {
    this.keys = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { devices: Record<string, HeldKey> }).devices : {};
    this.startedAt = pairing.clock().getTime();
    for (const { mac } of allowed) if (pairedAt(this.keys[mac]) === null) this.openAtStart.add(mac);
  }

  private listed(mac: string | null) {
    const wanted = (mac ?? "").trim().toUpperCase();
    return this.allowed.find((d) => d.mac === wanted) ?? null;
  }

  /** When MAC's current pairing window opened, or null when none is open now (or the device paired within it). */
  private windowOpenedAt(mac: string): number | null {
    const requested = this.pairing.requests.openedAt(mac);
    const opened = Math.max(this.openAtStart.has(mac) ? this.startedAt : -Infinity, requested ?? -Infinity);
    const now = this.pairing.clock().getTime();
    if (!Number.isFinite(opened) || now >= opened + this.pairing.windowS * 1000 || now < opened) return null;
    const paired = pairedAt(this.keys[mac]);
    return paired !== null && paired >= opened ? null : opened;
  }

  /** /api/setup: the device's key while its window is open (one key per window), else null, as for an unlisted MAC. */
  setup(mac: string | null): { mac: string; apiKey: string; friendlyId: string } | null {
    const device = this.listed(mac);
    if (!device) return null;
    const opened = this.windowOpenedAt(device.mac);
    if (opened === null) return null;
    const held = this.keys[device.mac];
    // a key made earlier in this window is handed out again (the device retries); an older one is replaced
    const current = held && Date.parse(held.created_at) >= opened ? held : this.remember(device.mac, randomKey(), null);
    return { mac: device.mac, apiKey: current.api_key, friendlyId: current.friendly_id };
  }

  /**
   * The listed device whose key is `token`, every key compared in constant time; its first use pairs it. A listed
   * device in its pairing window that brings another key (it was set up by another server) is adopted rather than
   * sent back to setup, which would need a factory reset on the device; outside the window it is refused.
   */
  authenticate(mac: string | null, token: string | null, mayAdopt = true): Device | null {
    const given = token?.trim() ?? "";
    if (!given) return null;
    let found: Device | null = null;
    for (const device of this.allowed) {
      const held = this.keys[device.mac];
      if (held && sameSecret(given, held.api_key)) found = { ...device, friendlyId: held.friendly_id };
    }
    if (found) {
      if (this.keys[found.mac]!.paired_at === null) this.markPaired(found.mac);
      return found;
    }
    const device = this.listed(mac);
    const opened = device && mayAdopt && given.length >= MIN_ADOPTED_KEY ? this.windowOpenedAt(device.mac) : null;
    const held = device ? this.keys[device.mac] : undefined;
    // not when this window already issued a key at /api/setup: that key is the one the device is about to use
    const issuedInWindow = opened !== null && held !== undefined && Date.parse(held.created_at) >= opened;
    if (device && opened !== null && !issuedInWindow) {
      this.log.info("trmnl device adopted with the key it brought", { device: device.mac });
      return { ...device, friendlyId: this.remember(device.mac, given, this.pairing.clock().toISOString()).friendly_id };
    }
    return null;
  }

  private markPaired(mac: string) {
    this.keys[mac]!.paired_at = this.pairing.clock().toISOString();
    this.save();
    this.log.info("trmnl device paired", { device: mac });
  }

  private remember(mac: string, apiKey: string, paired: string | null): HeldKey {
    const held = { api_key: apiKey, friendly_id: this.keys[mac]?.friendly_id ?? randomFriendlyId(), created_at: this.pairing.clock().toISOString(), paired_at: paired };
    this.keys[mac] = held;
    this.save();
    return held;
  }

  private save() {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ devices: this.keys }, null, 2) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** When a held key was paired: a file from before pairing windows has no paired_at, and its keys were in use. */
function pairedAt(held: HeldKey | undefined): number | null {
  if (!held) return null;
  if (held.paired_at === undefined) return Date.parse(held.created_at);
  return held.paired_at === null ? null : Date.parse(held.paired_at);
}
