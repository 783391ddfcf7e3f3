#!/usr/bin/env bun
// The single entry: argv → subcommand. `bun run src/main.ts <cmd>` and the compiled binary behave alike.
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./log";
import { StartupError } from "./cli/runtime";
import { VERSION } from "./version";

const HELP = `fitstack ${VERSION} — Health Auto Export webhook → heart-rate zones → VictoriaMetrics or SQLite

Usage: fitstack [command] [options]

Commands:
  serve                 run the webhook and read API (default)
  replay [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--dry-run] [--progress]
                        rebuild the store from DATA_DIR/raw/ (no range: from scratch;
                        with a range: re-merge those days, idempotent)
  render [--out FILE] [--from UNIX] [--to UNIX] [--sample typical|empty|extreme|stale|oneDay|zero]
                        write the TRMNL dashboard PNG (default dashboard.png) from the store in
                        DATA_DIR as of --to (default now; week from --from, default Monday),
                        or from built-in sample data; needs no AUTH_TOKEN/SECRET_PATH
  import PATH [--dry-run] [--since YYYY-MM-DD] [--progress] [--json]
                        import the Health app's export.zip (or export.xml, or its folder);
                        see fitstack import --help
  summarize [DIR] [--json] [--plots [OUT]] [--progress]
                        what is in a folder of exports or raw logs (default data_samples/);
                        see fitstack summarize --help
  --version             print the version
  --help                print this help

Configuration (environment, or a .env file in the working directory):
  HOST (127.0.0.1)  PORT (8000)  AUTH_TOKEN (required, >= 16 chars unless DEV=1)
  SECRET_PATH (required unless DEV=1; hook at /hook/<SECRET_PATH>)  DATA_DIR (./data)
  USER_LABEL (me)  HR_MAX (200)  RHR (60)  ZONES_MODE (max|karvonen)  ZONE_BOUNDS (0.6,0.7,0.8,0.9)
  VM_URL (unset = embedded SQLite store)  VM_WRITE_URL / VM_READ_URL (VM cluster)  MAX_BODY_MB (64)
  TOKENS_FILE (lines "<token> <user> [HR_MAX=… RHR=… ZONES_MODE=… ZONE_BOUNDS=…]": one series per person)
  SOURCE_PRIORITY (Watch,iPhone: which source's steps/energy count per hour in \`import\`)
  DEV=1 (allow a missing token, for local trials only)
  TRMNL_TZ (UTC)  TRMNL_DEVICES (MAC[=user],…)  TRMNL_TOKEN (redirect/dashboard.png; unset = off)
  TRMNL_BASE_URL (unset = request Host)  TRMNL_REFRESH_S (900)  TRMNL_STALE_S (10800)
  TRMNL_WIDTH x TRMNL_HEIGHT (800x480 or 480x800)  TRMNL_Z2_GOAL_H (unset = no goal)
`;

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
  const log = createLogger();
  switch (command) {
    case "serve": {
      const { serve } = await import("./cli/serve");
      await serve(loadConfig(process.env), log);
      return -1; // keeps running until a signal
    }
    case "replay": {
      const { parseReplayArgs, replay } = await import("./cli/replay");
      return replay(loadConfig(process.env), parseReplayArgs(args), log, (line) => process.stdout.write(line + "\n"));
    }
    case "import": {
      const { IMPORT_HELP, ImportUsageError, parseImportArgs, runImport } = await import("./cli/import");
      let parsed;
      try {
        parsed = parseImportArgs(args, process.stderr.isTTY ?? false);
      } catch (err) {
        if (!(err instanceof ImportUsageError)) throw err;
        process.stderr.write(`fitstack import: ${err.message} (see fitstack import --help)\n`);
        return 2;
      }
      if (parsed.help) {
        process.stdout.write(IMPORT_HELP);
        return 0;
      }
      const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t), env: process.env };
      return runImport(loadConfig(process.env), parsed, log, io);
    }
    case "summarize": {
      const { runSummarize } = await import("./cli/summarize");
      const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t), now: Math.floor(Date.now() / 1000), env: process.env };
      return runSummarize(args, io);
    }
    case "render": {
      const { parseRenderArgs, render, renderConfig } = await import("./cli/render");
      return render(renderConfig(process.env), parseRenderArgs(args), log, (line) => process.stdout.write(line + "\n"));
    }
    default:
      process.stderr.write(`fitstack: unknown command "${command}" (see fitstack --help)\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`fitstack: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fitstack: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
