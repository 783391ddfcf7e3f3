// Builds what the TRMNL routes need from the config and the opened runtime.
import { join } from "node:path";
import type { Config } from "../config";
import type { Logger } from "../log";
import type { Pipeline } from "../pipeline";
import type { Store } from "../store/store";
import { FailedAttempts } from "./attempts";
import { Dashboards, type Renderer } from "./dashboards";
import { DeviceLog } from "./deviceLog";
import { DeviceRegistry } from "./devices";
import { PAIRING_FILE, PairingRequests } from "./pairing";
import { DeviceTelemetry } from "./telemetry";
import { zoneBoundsBpm } from "../transform/zones";
import type { TrmnlDeps } from "./routes";

export { trmnlRoutes, type TrmnlDeps } from "./routes";

export function createTrmnl(
  config: Pick<Config, "trmnl" | "dataDir" | "userLabel"> & Partial<Pick<Config, "access" | "zones">>,
  {
    store,
    pipeline,
    clock,
    log,
    render,
    peer,
  }: { store: Store; pipeline: Pick<Pipeline, "lastSync">; clock: () => Date; log: Logger; render?: Renderer; peer?: TrmnlDeps["peer"] },
): TrmnlDeps {
  const dir = join(config.dataDir, "trmnl");
  return {
    config: config.trmnl,
    userLabel: config.userLabel,
    dashboards: new Dashboards({
      store,
      lastSync: (user) => pipeline.lastSync(user),
      settings: config.trmnl,
      clock,
      log,
      render,
      zoneBoundsFor: (user) => {
        const zones = config.access?.find((a) => a.user === user)?.zones ?? config.zones;
        return zones && zoneBoundsBpm(zones);
      },
    }),
    devices: new DeviceRegistry(join(dir, "devices.json"), config.trmnl.devices, log, {
      requests: new PairingRequests(join(dir, PAIRING_FILE)),
      windowS: config.trmnl.pairWindowS,
      clock,
    }),
    attempts: new FailedAttempts(clock),
    peer,
    deviceLog: new DeviceLog(join(dir, "device-logs.ndjson")),
    telemetry: new DeviceTelemetry(join(dir, "telemetry.json")),
    recordReading: (reading) => store.writeDeviceReading(reading),
    clock,
    log,
  };
}
