// The current dashboard image per user: data memoised between syncs, PNGs cached by a hash of what they show.
import type { TrmnlConfig } from "../config";
import { HttpError } from "../errors";
import type { Logger } from "../log";
import { canvasFor, renderDashboard, type DashboardData, type RenderOptions } from "../render/dashboard";
import { localDate } from "../render/format";
import { decodePngGrey, greysInRows } from "../render/pngGrey";
import type { Store } from "../store/store";
import { loadDashboardData } from "./assemble";
import { describeFormat, OG_COUNTED_ROWS, OG_MAX_BYTES, type DeviceFormat } from "./deviceFormat";

export type Renderer = (data: DashboardData, opts: RenderOptions) => Promise<Uint8Array>;

export interface DashboardImage {
  user: string;
  png: Uint8Array;
  /** `fs-<16 hex of the PNG's sha256>.png`: the device's cache key, so it changes exactly when the bytes do. */
  filename: string;
  etag: string;
}

export interface DashboardsDeps {
  store: Store;
  lastSync: (user: string) => number | null;
  settings: Pick<TrmnlConfig, "timeZone" | "width" | "height" | "staleS" | "weeklyZ2GoalH">;
  clock: () => Date;
  log: Logger;
  render?: Renderer;
  /** Assembled data is re-read after this long even without a new sync (a delivery retried later, a replay). */
  dataTtlS?: number;
  /** Lower bounds of z2..z5 for the user's zone bands on the large canvas. */
  zoneBoundsFor?: (user: string) => number[] | undefined;
}

/** What else a device's image depends on besides the data: its format, the clock it is drawn for, a low battery. */
export interface ImageRequest {
  format?: DeviceFormat;
  /** Draw for this instant instead of the clock (quiet hours: the screen the night ends on). */
  at?: number;
  batteryLow?: boolean;
}

const KEEP_IMAGES = 16;
const sha256 = (data: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

export function renderOptions(settings: DashboardsDeps["settings"]): RenderOptions {
  return {
    width: settings.width,
    height: settings.height,
    timeZone: settings.timeZone,
    staleAfterS: settings.staleS,
    ...(settings.weeklyZ2GoalH === null ? {} : { weeklyZ2GoalH: settings.weeklyZ2GoalH }),
  };
}

/**
 * What the image depends on, without `now`: the data, the options, and the few facts `now` decides on the
 * screen (today's date, whether the sync is stale, whether a time is labelled "14:05", "Mon 14:05" or "12 Mar").
 * Between syncs the key stays put, so a poll is a lookup and the device does not redraw.
 */
export function renderKey(data: DashboardData, opts: RenderOptions): string {
  const { now, ...shown } = data;
  const today = localDate(now, opts.timeZone);
  const age = (ts: number | undefined | null) =>
    ts === null || ts === undefined ? null : localDate(ts, opts.timeZone) === today ? "today" : now - ts < 6 * 86400 ? "week" : "older";
  const facts = {
    today,
    stale: data.lastSync === null || now - data.lastSync > opts.staleAfterS,
    syncAge: age(data.lastSync),
    workoutAge: age(data.lastWorkout?.start),
  };
  return sha256(JSON.stringify([shown, opts, facts]));
}

/**
 * Renders for a device's format: a 2-bit image without three greys in the rows the OG counts, or one over the
 * device's limit, goes out as 1-bit instead (the OG would draw two greys as black and white anyway, G2).
 */
export async function renderForDevice(render: Renderer, data: DashboardData, opts: RenderOptions, format: DeviceFormat): Promise<Uint8Array> {
  let png = await render(data, opts);
  const fewGreys = opts.depth === 2 && greysInRows(decodePngGrey(png), 0, OG_COUNTED_ROWS).length < 3;
  if ((opts.depth ?? 1) > 1 && (fewGreys || png.length > format.maxBytes)) png = await render(data, { ...opts, depth: 1 });
  if (png.length > format.maxBytes) {
    throw new HttpError(500, "image_too_large", `rendered PNG is ${png.length} bytes; the display accepts at most ${format.maxBytes}`);
  }
  return png;
}

export class Dashboards {
  /** How many PNGs were rendered: what the cache saves. */
  renders = 0;
  private readonly memo = new Map<string, { lastSync: number | null; today: string; at: number; data: DashboardData }>();
  private readonly byKey = new Map<string, DashboardImage>();
  private readonly byFilename = new Map<string, DashboardImage>();
  private readonly rendering = new Map<string, Promise<DashboardImage>>();
  readonly options: RenderOptions;
  /** TRMNL_WIDTH x TRMNL_HEIGHT at 1 bit: what the Redirect plugin, dashboard.png and a device we know nothing of get. */
  readonly defaultFormat: DeviceFormat;

  constructor(private readonly deps: DashboardsDeps) {
    this.options = renderOptions(deps.settings);
    this.defaultFormat = { kind: "og", width: this.options.width, height: this.options.height, depth: 1, maxBytes: OG_MAX_BYTES };
  }

  /** The image for `user` now (or at `request.at`) in a device's format; renders only when what it shows changed. */
  async current(user: string, request: ImageRequest = {}): Promise<DashboardImage> {
    const format = request.format ?? this.defaultFormat;
    const now = request.at ?? Math.floor(this.deps.clock().getTime() / 1000);
    const data = await this.data(user, now, canvasFor(format.width, format.height).large);
    const opts: RenderOptions = { ...this.options, width: format.width, height: format.height, depth: format.depth, ...(request.batteryLow ? { batteryLow: true } : {}) };
    const key = `${user}|${format.maxBytes}|${renderKey(data, opts)}`;
    const held = this.byKey.get(key);
    if (held) return held;
    let pending = this.rendering.get(key);
    if (!pending) {
      pending = this.render(user, key, data, opts, format).finally(() => this.rendering.delete(key));
      this.rendering.set(key, pending);
    }
    return pending;
  }

  /** New data arrived for `user`: read the store again on the next poll. */
  forget(user: string): void {
    this.memo.delete(user);
    this.memo.delete(`${user}|large`);
  }

  /** A recently served image by its filename (what the device downloads after /api/display). */
  find(filename: string): DashboardImage | undefined {
    return this.byFilename.get(filename);
  }

  private async data(user: string, now: number, large: boolean): Promise<DashboardData> {
    const { store, lastSync, settings, log, dataTtlS = 60 } = this.deps;
    const sync = lastSync(user);
    const today = localDate(now, settings.timeZone);
    const memoKey = large ? `${user}|large` : user;
    const held = this.memo.get(memoKey);
    if (held && held.lastSync === sync && held.today === today && now >= held.at && now - held.at < dataTtlS) return { ...held.data, now };
    try {
      const wide = large ? { zoneBoundsBpm: this.deps.zoneBoundsFor?.(user) } : undefined;
      const data = await loadDashboardData(store, user, sync, now, settings.timeZone, undefined, wide);
      this.memo.set(memoKey, { lastSync: sync, today, at: now, data });
      return data;
    } catch (err) {
      // the store is down (VictoriaMetrics restarting): keep showing what was last read rather than an error
      log.warn("dashboard data not readable", { user, error: (err as Error).message, showing: held ? "last read" : "nothing" });
      if (held) return { ...held.data, now };
      throw new HttpError(503, "store_unavailable", "the store cannot be read right now; retry later");
    }
  }

  private async render(user: string, key: string, data: DashboardData, opts: RenderOptions, format: DeviceFormat): Promise<DashboardImage> {
    const started = performance.now();
    let png: Uint8Array;
    try {
      png = await renderForDevice(this.deps.render ?? renderDashboard, data, opts, format);
    } catch (err) {
      this.deps.log.error("dashboard render failed", { user, error: (err as Error).message });
      throw new HttpError(503, "render_failed", "the dashboard could not be rendered");
    }
    this.renders++;
    const hash = sha256(png).slice(0, 16);
    const image: DashboardImage = { user, png, filename: `fs-${hash}.png`, etag: `"${hash}"` };
    this.byKey.set(key, image);
    this.byFilename.set(image.filename, image);
    for (const map of [this.byKey, this.byFilename] as Map<string, DashboardImage>[]) {
      while (map.size > KEEP_IMAGES) map.delete(map.keys().next().value!);
    }
    this.deps.log.info("dashboard rendered", { user, format: describeFormat(format), filename: image.filename, bytes: png.length, ms: Math.round(performance.now() - started) });
    return image;
  }
}
