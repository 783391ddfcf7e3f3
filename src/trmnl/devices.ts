// TRMNL devices allowed by TRMNL_DEVICES, with the API key each got at /api/setup, kept in DATA_DIR/trmnl/devices.json.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sameSecret } from "../auth";
import type { Logger } from "../log";

export interface Device {
  mac: string;
  user: string;
  friendlyId: string;
}

interface HeldKey {
  api_key: string;
  friendly_id: string;
  created_at: string;
}

/** Keys the firmware may bring from another server (TRMNL's cloud uses 22 characters); shorter ones are not adopted. */
const MIN_ADOPTED_KEY = 16;

const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
const randomFriendlyId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(3))).toString("hex").toUpperCase();

export class DeviceRegistry {
  private readonly keys: Record<string, HeldKey>;

  constructor(
    private readonly file: string,
    private readonly allowed: { mac: string; user: string }[],
    private readonly log: Logger,
  ) {
    this.keys = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { devices: Record<string, HeldKey> }).devices : {};
  }

  private listed(mac: string | null) {
    const wanted = (mac ?? "").trim().toUpperCase();
    return this.allowed.find((d) => d.mac === wanted) ?? null;
  }

  /** /api/setup: the device's key (made on first contact, the same one afterwards), or null for an unlisted MAC. */
  setup(mac: string | null): { apiKey: string; friendlyId: string } | null {
    const device = this.listed(mac);
    if (!device) return null;
    const held = this.keys[device.mac] ?? this.remember(device.mac, randomKey());
    return { apiKey: held.api_key, friendlyId: held.friendly_id };
  }

  /**
   * The listed device whose key is `token`, every key compared in constant time. A listed device with no key
   * yet that brings one (it was set up by another server) is adopted rather than sent back to setup, which
   * would need a factory reset on the device.
   */
  authenticate(mac: string | null, token: string | null): Device | null {
    const given = token?.trim() ?? "";
    if (!given) return null;
    let found: Device | null = null;
    for (const device of this.allowed) {
      const held = this.keys[device.mac];
      if (held && sameSecret(given, held.api_key)) found = { ...device, friendlyId: held.friendly_id };
    }
    if (found) return found;
    const device = this.listed(mac);
    if (device && !this.keys[device.mac] && given.length >= MIN_ADOPTED_KEY) {
      this.log.info("trmnl device adopted with the key it brought", { device: device.mac });
      return { ...device, friendlyId: this.remember(device.mac, given).friendly_id };
    }
    return null;
  }

  private remember(mac: string, apiKey: string): HeldKey {
    const held = { api_key: apiKey, friendly_id: randomFriendlyId(), created_at: new Date().toISOString() };
    this.keys[mac] = held;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ devices: this.keys }, null, 2) + "\n", { mode: 0o600 });
    renameSync(tmp, this.file);
    return held;
  }
}
