// `fitstack render`: the dashboard PNG from the store in DATA_DIR (or built-in sample data) into a file.
import { existsSync, writeFileSync } from "node:fs";
import { loadConfig, type Config } from "../config";
import type { Logger } from "../log";
import { renderDashboard, type DashboardData } from "../render/dashboard";
import { readPngHeader } from "../render/png1bit";
import { emptyData, sampleDataSets, SAMPLE_TIME_ZONE } from "../render/sample-data";
import { loadDashboardData } from "../trmnl/assemble";
import { renderOptions } from "../trmnl/dashboards";
import { openRuntime } from "./runtime";

export interface RenderArgs {
  out: string;
  from?: number;
  to?: number;
  sample?: keyof typeof sampleDataSets;
}

export function parseRenderArgs(args: string[]): RenderArgs {
  const parsed: RenderArgs = { out: "dashboard.png" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[++i] ?? "";
    if (arg === "--out") {
      if (!value) throw new Error("render: --out expects a file name");
      parsed.out = value;
    } else if (arg === "--from" || arg === "--to") {
      if (!/^\d{1,11}$/.test(value)) throw new Error(`render: ${arg} expects unix seconds, got "${value}"`);
      parsed[arg === "--from" ? "from" : "to"] = Number(value);
    } else if (arg === "--sample") {
      if (!(value in sampleDataSets)) throw new Error(`render: --sample expects one of ${Object.keys(sampleDataSets).join("|")}, got "${value}"`);
      parsed.sample = value as RenderArgs["sample"];
    } else throw new Error(`render: unknown option "${arg}"`);
  }
  if (parsed.from !== undefined && parsed.to !== undefined && parsed.from >= parsed.to) throw new Error("render: --from must be before --to");
  return parsed;
}

/** Rendering reads only DATA_DIR (and VM_URL): the hook's token and secret path are not needed, so they are not asked for. */
export function renderConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ ...env, DEV: "1", AUTH_TOKEN: "", SECRET_PATH: "", TOKENS_FILE: "" });
}

/**
 * Without --sample: the dashboard as the device would get it at --to (default now), the week panel from --from
 * (default Monday 00:00 in TRMNL_TZ). A DATA_DIR that does not exist is an empty store: the "no data yet" screen.
 */
export async function render(config: Config, args: RenderArgs, log: Logger, out: (line: string) => void): Promise<number> {
  const opts = renderOptions(config.trmnl);
  let data: DashboardData;
  let source: string;
  if (args.sample) {
    data = sampleDataSets[args.sample];
    opts.timeZone = SAMPLE_TIME_ZONE; // the samples are a day in Berlin
    source = `sample "${args.sample}"`;
  } else if (!existsSync(config.dataDir) && !config.vmReadUrl) {
    data = { ...emptyData, now: args.to ?? Math.floor(Date.now() / 1000) };
    source = `${config.dataDir} (absent: no data yet)`;
  } else {
    const runtime = await openRuntime(config, log);
    try {
      const now = args.to ?? Math.floor(Date.now() / 1000);
      const user = config.userLabel;
      data = await loadDashboardData(runtime.store, user, runtime.pipeline.lastSync(user), now, config.trmnl.timeZone, args.from);
      source = `${runtime.store.kind} store in ${config.dataDir}, user ${user}`;
    } finally {
      await runtime.close();
    }
  }
  const started = performance.now();
  const png = await renderDashboard(data, opts);
  const ms = performance.now() - started;
  writeFileSync(args.out, png);
  const { width, height, bitDepth } = readPngHeader(png);
  out(`wrote ${args.out}: ${width}x${height}, ${bitDepth}-bit, ${png.length} bytes, rendered in ${ms.toFixed(0)} ms from ${source}`);
  return 0;
}
