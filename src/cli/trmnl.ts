// `fitstack trmnl pair MAC`: (re)opens a listed device's pairing window, e.g. after a factory reset. It writes
// DATA_DIR/trmnl/pairing.json, which a running server reads on the device's next /api/setup; no restart needed.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config";
import { openPairing, PAIRING_FILE } from "../trmnl/pairing";
import { privateDataDir } from "./dataDir";

export const TRMNL_HELP = `Usage: fitstack trmnl pair MAC

Opens pairing for MAC (listed in TRMNL_DEVICES) for TRMNL_PAIR_WINDOW_S seconds (default 600), from now:
until then, or until the device has used its new key, /api/setup hands that device a key and a key it brings
from another server is adopted. Works while the server runs. Reads DATA_DIR, TRMNL_DEVICES and
TRMNL_PAIR_WINDOW_S; needs no AUTH_TOKEN/SECRET_PATH.

Options:
  --help    print this help
`;

const OPTIONS = { help: { type: "boolean", short: "h" } } as const;

export interface TrmnlIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  now: () => Date;
}

export function runTrmnl(args: string[], io: TrmnlIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`fitstack trmnl: ${(err as Error).message.split("\n")[0]} (see fitstack trmnl --help)\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(TRMNL_HELP);
    return 0;
  }
  const [action, macArg, ...rest] = parsed.positionals;
  if (action !== "pair" || !macArg || rest.length) {
    io.err(`fitstack trmnl: expected "pair MAC" (see fitstack trmnl --help)\n`);
    return 2;
  }
  let config;
  try {
    // offline: only DATA_DIR and the TRMNL settings matter here
    config = loadConfig({ ...io.env, DEV: "1", AUTH_TOKEN: "", SECRET_PATH: "", TOKENS_FILE: "" });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`fitstack: ${err.message}\n`);
    return 2;
  }
  const mac = macArg.trim().toUpperCase();
  if (!config.trmnl.devices.some((d) => d.mac === mac)) {
    io.err(`fitstack trmnl: ${macArg.slice(0, 40)} is not listed in TRMNL_DEVICES\n`);
    return 2;
  }
  const now = io.now();
  privateDataDir(config.dataDir);
  openPairing(join(config.dataDir, "trmnl", PAIRING_FILE), mac, now);
  const until = new Date(now.getTime() + config.trmnl.pairWindowS * 1000).toISOString();
  io.out(`pairing open for ${mac} until ${until}: set the device up now (its next /api/setup gets a new key)\n`);
  return 0;
}
