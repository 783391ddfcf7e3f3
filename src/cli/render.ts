// `fitstack render`: the dashboard PNG from the store in DATA_DIR (or built-in sample data) into a file.
import { existsSync, writeFileSync } from "node:fs";
import { loadConfig, type Config } from "../config";
import type { Logger } from "../log";
import { canvasFor, renderDashboard, type DashboardData } from "../render/dashboard";
import { readPngHeader } from "../render/png1bit";
import { emptyData, sampleDataSets, SAMPLE_TIME_ZONE } from "../render/sample-data";
import { zoneBoundsBpm } from "../transform/zones";
import { loadDashboardData } from "../trmnl/assemble";
import { renderForDevice, renderOptions } from "../trmnl/dashboards";
import { describeFormat, MODEL_PRESETS, OG_MAX_BYTES, presetFormat, type DeviceFormat, type ModelPreset } from "../trmnl/deviceFormat";
import { openRuntime } from "./runtime";

export interface RenderArgs {
  out: string;
  from?: number;
  to?: number;
  sample?: keyof typeof sampleDataSets;
  /** og | og-grey | x | kindle; absent = TRMNL_WIDTH x TRMNL_HEIGHT at 1 bit, as the Redirect plugin gets it. */
  model?: ModelPreset;
  portrait?: boolean;
}

export function parseRenderArgs(args: string[]): RenderArgs {
  const parsed: RenderArgs = { out: "dashboard.png" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--portrait") {
      parsed.portrait = true;
      continue;
    }
    // bare --sample (last, or followed by another option) is the typical sample
    if (arg === "--sample" && (args[i + 1] === undefined || args[i + 1]!.startsWith("--"))) {
      parsed.sample = "typical";
      continue;
    }
    const value = args[++i] ?? "";
    if (arg === "--model") {
      if (!(value in MODEL_PRESETS)) throw new Error(`render: --model expects one of ${Object.keys(MODEL_PRESETS).join("|")}, got "${value}"`);
      parsed.model = value as ModelPreset;
    } else if (arg === "--out") {
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
  // --portrait, or TRMNL_WIDTH x TRMNL_HEIGHT set to 480x800
  const portrait = args.portrait === true || opts.height > opts.width;
  const format: DeviceFormat = args.model
    ? presetFormat(args.model, portrait)
    : { kind: "og", width: portrait ? 480 : 800, height: portrait ? 800 : 480, depth: 1, maxBytes: OG_MAX_BYTES };
  const large = canvasFor(format.width, format.height).large;
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
      const zones = config.access.find((a) => a.user === user)?.zones ?? config.zones;
      const wide = large ? { zoneBoundsBpm: zoneBoundsBpm(zones) } : undefined;
      data = await loadDashboardData(runtime.store, user, runtime.pipeline.lastSync(user), now, config.trmnl.timeZone, args.from, wide);
      source = `${runtime.store.kind} store in ${config.dataDir}, user ${user}`;
    } finally {
      await runtime.close();
    }
  }
  const started = performance.now();
  const png = await renderForDevice(renderDashboard, data, { ...opts, width: format.width, height: format.height, depth: format.depth }, format);
  const ms = performance.now() - started;
  writeFileSync(args.out, png);
  const { width, height, bitDepth } = readPngHeader(png);
  const model = args.model ? ` for ${args.model} (${describeFormat(format)})` : "";
  out(`wrote ${args.out}${model}: ${width}x${height}, ${bitDepth}-bit, ${png.length} bytes, rendered in ${ms.toFixed(0)} ms from ${source}`);
  return 0;
}
