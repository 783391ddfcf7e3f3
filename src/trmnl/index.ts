// Builds what the TRMNL routes need from the config and the opened runtime.
import { join } from "node:path";
import type { Config } from "../config";
import type { Logger } from "../log";
import type { Pipeline } from "../pipeline";
import type { Store } from "../store/store";
import { Dashboards, type Renderer } from "./dashboards";
import { DeviceLog } from "./deviceLog";
import { DeviceRegistry } from "./devices";
import type { TrmnlDeps } from "./routes";

export { trmnlRoutes, type TrmnlDeps } from "./routes";

export function createTrmnl(
  config: Pick<Config, "trmnl" | "dataDir" | "userLabel"> & Partial<Pick<Config, "timeZone" | "load">>,
  { store, pipeline, clock, log, render }: { store: Store; pipeline: Pick<Pipeline, "lastSync" | "firstTs">; clock: () => Date; log: Logger; render?: Renderer },
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
      ...(config.load && { load: { settings: { timeZone: config.trmnl.timeZone, ...config.load }, firstTs: (user: string) => pipeline.firstTs(user) } }),
    }),
    devices: new DeviceRegistry(join(dir, "devices.json"), config.trmnl.devices, log),
    deviceLog: new DeviceLog(join(dir, "device-logs.ndjson")),
    clock,
    log,
  };
}
