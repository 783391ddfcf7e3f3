#!/usr/bin/env bun
// The single entry: argv → subcommand. `bun run src/main.ts <cmd>` and the compiled binary behave alike.
import { helpText, parseCommand, PathError, UsageError, type Subcommand } from "./cli/args";
import { StartupError } from "./cli/runtime";
import { ConfigError } from "./config";
import { createLogger } from "./log";
import { VERSION } from "./version";

const HELP = `fitstack ${VERSION} — Health Auto Export webhook → heart-rate zones → VictoriaMetrics or SQLite

Usage: fitstack [command] [options]

Commands:
  serve        run the webhook and read API (default)
  replay       rebuild the store from DATA_DIR/raw/ (all of it, or --from/--to days)
  render       write the TRMNL dashboard PNG from the store, or from built-in sample data (--sample)
  import       import the Health app's export.zip (or export.xml, or its folder)
  summarize    what is in a folder of exports or raw logs (default data_samples/)
  trmnl        trmnl pair MAC: reopen pairing for a listed TRMNL device, also while serve runs
  status       what DATA_DIR and the store hold; exit 1 when something needs attention
  --version    print the version
  --help       print this help

fitstack COMMAND --help prints that command's options. Only serve needs AUTH_TOKEN and SECRET_PATH.
Exit status: 0 done; 1 a file, the store or the data could not be used; 2 a bad option or variable.

Configuration (environment, or a .env file in the working directory):
  HOST (127.0.0.1)  PORT (8000)  AUTH_TOKEN (required, >= 16 chars unless DEV=1)
  SECRET_PATH (required unless DEV=1; hook at /hook/<SECRET_PATH>)  DATA_DIR (./data)
  USER_LABEL (me)  HR_MAX (200)  RHR (60)  ZONES_MODE (max|karvonen)  ZONE_BOUNDS (0.6,0.7,0.8,0.9)
  ZONES_FROM (YYYY-MM-DD: the zones apply from that local date on; unset = all history)
  VM_URL (unset = embedded SQLite store)  VM_WRITE_URL / VM_READ_URL (VM cluster)  MAX_BODY_MB (256)
  TOKENS_FILE (lines "<token> <user> [HR_MAX=… RHR=… ZONES_MODE=… ZONE_BOUNDS=… ZONES_FROM=…]": one series per person)
  SOURCE_PRIORITY (Watch,iPhone: which source's steps/energy count per hour in \`import\`)
  DEV=1 (allow a missing token, for local trials only)
  USER_TZ (UTC; local days everywhere, old name TRMNL_TZ still works)  LOAD_WEIGHTS (0,2,3,4,5)  WEEKLY_GOAL_MIN (150)
  TRMNL_TZ (see USER_TZ)  TRMNL_DEVICES (MAC[=user][:1bit|grey|kindle][:portrait],…)  TRMNL_QUIET (HH:MM-HH:MM)
  TRMNL_TOKEN (redirect/dashboard.png; unset = off)  TRMNL_BASE_URL (unset = request Host)  TRMNL_REFRESH_S (900)
  STALE_AFTER_H (12; older name TRMNL_STALE_S in seconds)  COVERAGE_MIN_H (12)
  METRICS_TOKEN or METRICS_TOKEN_FILE (a second token for GET /metrics and /health details)
  TRMNL_WIDTH x TRMNL_HEIGHT (800x480 or 480x800)  TRMNL_Z2_GOAL_H (unset = no goal)
  TRMNL_PAIR_WINDOW_S (600: how long a never-paired device may get a key after start or \`trmnl pair\`)
`;

/** Each subcommand's module: its option table (also its --help) and what it runs. Loaded only when named. */
const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  serve: () => import("./cli/serve"),
  replay: () => import("./cli/replay"),
  render: () => import("./cli/render"),
  summarize: () => import("./cli/summarize"),
  import: () => import("./cli/import"),
  trmnl: () => import("./cli/trmnl"),
  status: () => import("./cli/status"),
};

async function main(argv: string[]): Promise<number> {
  const [command = "serve", ...args] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`fitstack ${VERSION}\n`);
    return 0;
  }
  const load = SUBCOMMANDS[command];
  if (!load) throw new UsageError(`unknown command "${command}"`);
  const subcommand = await load();
  const parsed = parseCommand(subcommand.command, args);
  if (parsed.help) {
    process.stdout.write(helpText(subcommand.command));
    return 0;
  }
  return subcommand.run(parsed, {
    env: process.env,
    log: createLogger(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    now: () => Math.floor(Date.now() / 1000),
    interactive: Boolean(process.stdout.isTTY && process.stderr.isTTY),
  });
}

/** Anything a user can cause, as one line: a bad option or variable (2), a path that cannot be used (1). */
function exitLine(err: unknown, command: string | undefined): { line: string; code: number } {
  const known = command !== undefined && command in SUBCOMMANDS;
  const prefix = known ? `fitstack ${command}` : "fitstack";
  if (err instanceof UsageError) return { line: `${prefix}: ${err.message} (see fitstack ${known ? `${command} ` : ""}--help)`, code: 2 };
  if (err instanceof ConfigError || err instanceof StartupError) return { line: `fitstack: ${err.message}`, code: 2 };
  if (err instanceof PathError) return { line: `${prefix}: ${err.message}`, code: 1 };
  const { path } = (err ?? {}) as { path?: unknown };
  if (typeof path === "string") return { line: `${prefix}: ${new PathError(path, err).message}`, code: 1 };
  const message = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
  return { line: `${prefix}: ${message.split("\n")[0]}`, code: 1 };
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    const { line, code } = exitLine(err, argv[0]);
    process.stderr.write(line + "\n");
    process.exit(code);
  },
);
