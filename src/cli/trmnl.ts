// `fitstack trmnl pair MAC`: (re)opens a listed device's pairing window, e.g. after a factory reset. It writes
// DATA_DIR/trmnl/pairing.json, which a running server reads on the device's next /api/setup; no restart needed.
import { join } from "node:path";
import { loadOfflineConfig, type Config } from "../config";
import { openPairing, PAIRING_FILE } from "../trmnl/pairing";
import { defineCommand, UsageError, type CliContext, type ParsedArgs } from "./args";
import { privateDataDir } from "./dataDir";

export const command = defineCommand({
  name: "trmnl",
  operands: { usage: "pair MAC", max: 2 },
  summary: `Opens pairing for MAC (listed in TRMNL_DEVICES) for TRMNL_PAIR_WINDOW_S seconds (default 600) from now:
until then, or until the device has used its new key, /api/setup hands that device a key and a key it brings
from another server is adopted. Works while the server runs. Reads DATA_DIR, TRMNL_DEVICES and
TRMNL_PAIR_WINDOW_S; not AUTH_TOKEN or SECRET_PATH.`,
  options: {},
  notes: "Exit status: 0 opened; 1 DATA_DIR cannot be written; 2 a bad option, MAC or variable.",
});

export async function run({ operands }: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  const [action, mac] = operands;
  if (action !== "pair" || !mac) throw new UsageError('expected "pair MAC"');
  // to the millisecond (ctx.now is whole seconds): a device that paired earlier in this same second must not
  // make the request look older than its pairing, and so ignored
  const until = pairDevice(loadOfflineConfig(ctx.env), mac, new Date());
  ctx.out(`pairing open for ${mac.trim().toUpperCase()} until ${until.toISOString()}: set the device up now (its next /api/setup gets a new key)\n`);
  return 0;
}

/** Opens MAC's window from `now`; returns when it shuts. */
export function pairDevice(config: Pick<Config, "dataDir" | "trmnl">, macArg: string, now: Date): Date {
  const mac = macArg.trim().toUpperCase();
  if (!config.trmnl.devices.some((d) => d.mac === mac)) throw new UsageError(`${macArg.slice(0, 40)} is not listed in TRMNL_DEVICES`);
  privateDataDir(config.dataDir);
  openPairing(join(config.dataDir, "trmnl", PAIRING_FILE), mac, now);
  return new Date(now.getTime() + config.trmnl.pairWindowS * 1000);
}
