// `fitstack render`: the dashboard PNG from the store in DATA_DIR (or built-in sample data) into a file.
import { existsSync, writeFileSync } from "node:fs";
import { loadOfflineConfig, type Config } from "../config";
import type { Logger } from "../log";
import { canvasFor, renderDashboard, type DashboardData } from "../render/dashboard";
import { readPngHeader } from "../render/png1bit";
import { emptyData, sampleDataSets, SAMPLE_TIME_ZONE } from "../render/sample-data";
import { zoneBoundsBpm } from "../transform/zones";
import { loadDashboardData } from "../trmnl/assemble";
import { renderForDevice, renderOptions } from "../trmnl/dashboards";
import { describeFormat, MODEL_PRESETS, OG_MAX_BYTES, presetFormat, type DeviceFormat, type ModelPreset } from "../trmnl/deviceFormat";
import { defineCommand, PathError, UsageError, type CliContext, type ParsedArgs } from "./args";
import { openRuntime } from "./runtime";

const SAMPLES = Object.keys(sampleDataSets) as (keyof typeof sampleDataSets)[];
const MODELS = Object.keys(MODEL_PRESETS) as ModelPreset[];

export const command = defineCommand({
  name: "render",
  summary: `Writes the TRMNL dashboard PNG from the store in DATA_DIR as of --to, or from built-in sample data.
Needs DATA_DIR (and VM_URL for VictoriaMetrics); not AUTH_TOKEN or SECRET_PATH.`,
  options: {
    out: { type: "string", value: "FILE", default: "dashboard.png", description: "the PNG to write" },
    from: { type: "string", value: "UNIX", description: "start of the week panel, unix seconds (default Monday 00:00 in TRMNL_TZ)" },
    to: { type: "string", value: "UNIX", description: "the instant shown, unix seconds (default now)" },
    sample: { type: "string", value: "NAME", bare: "typical", description: `built-in data instead of the store: ${SAMPLES.join("|")}` },
    model: {
      type: "string",
      value: "MODEL",
      description: `the screen it is for: ${MODELS.join("|")} (og 800x480 1-bit, og-grey 2-bit, x 1872x1404 4-bit, kindle 1072x1448 8-bit; default: TRMNL_WIDTH x TRMNL_HEIGHT, 1-bit)`,
    },
    portrait: { type: "boolean", description: "upright: og 480x800, x 1404x1872 (also when TRMNL_WIDTH x TRMNL_HEIGHT is 480x800)" },
  },
  notes: "Exit status: 0 written; 1 FILE cannot be written or the store cannot be read; 2 a bad option or variable.",
});

export interface RenderArgs {
  out: string;
  from?: number;
  to?: number;
  sample?: keyof typeof sampleDataSets;
  /** og | og-grey | x | kindle; absent = TRMNL_WIDTH x TRMNL_HEIGHT at 1 bit, as the Redirect plugin gets it. */
  model?: ModelPreset;
  portrait?: boolean;
}

export function renderArgs({ values }: ParsedArgs<typeof command.options>): RenderArgs {
  const parsed: RenderArgs = { out: values.out };
  if (!values.out) throw new UsageError("--out needs a file name");
  for (const name of ["from", "to"] as const) {
    const value = values[name];
    if (value === undefined) continue;
    if (!/^\d{1,11}$/.test(value)) throw new UsageError(`--${name} expects unix seconds, got "${value}"`);
    parsed[name] = Number(value);
  }
  if (values.sample !== undefined) {
    if (!(values.sample in sampleDataSets)) throw new UsageError(`--sample expects one of ${SAMPLES.join("|")}, got "${values.sample}"`);
    parsed.sample = values.sample as RenderArgs["sample"];
  }
  if (values.model !== undefined) {
    if (!(values.model in MODEL_PRESETS)) throw new UsageError(`--model expects one of ${MODELS.join("|")}, got "${values.model}"`);
    parsed.model = values.model as ModelPreset;
  }
  if (values.portrait) parsed.portrait = true;
  if (parsed.from !== undefined && parsed.to !== undefined && parsed.from >= parsed.to) throw new UsageError("--from must be before --to");
  return parsed;
}

export function run(args: ParsedArgs<typeof command.options>, ctx: CliContext): Promise<number> {
  return render(loadOfflineConfig(ctx.env), renderArgs(args), ctx.log, (line) => ctx.out(line + "\n"));
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
  try {
    writeFileSync(args.out, png);
  } catch (err) {
    throw new PathError(args.out, err);
  }
  const { width, height, bitDepth } = readPngHeader(png);
  const model = args.model ? ` for ${args.model} (${describeFormat(format)})` : "";
  out(`wrote ${args.out}${model}: ${width}x${height}, ${bitDepth}-bit, ${png.length} bytes, rendered in ${ms.toFixed(0)} ms from ${source}`);
  return 0;
}
