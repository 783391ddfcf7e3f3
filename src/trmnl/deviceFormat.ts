// Which image a device gets, from what it tells us (Model, FW-Version, Width/Height or png-width/png-height) and the
// mode TRMNL_DEVICES gives it. Facts from ../shared/reference/trmnl.md, "Grey levels and device models" (G1–G7).
import type { BitDepth } from "../render/pngGrey";
import { OG_MAX_PNG_BYTES } from "../render/rasterize";

export type DeviceMode = "1bit" | "grey" | "kindle";

/** What a request says about its device; every field may be missing (old firmware, Kindle/Kobo/Pi clients). */
export interface DeviceHeaders {
  model: string | null;
  fwVersion: string | null;
  width: number | null;
  height: number | null;
  /** trmnl-kindle's `png-width`/`png-height`: the size it wants the PNG in. */
  pngWidth: number | null;
  pngHeight: number | null;
}

/** How a device is drawn: a board class, the PNG's size and depth, and the bytes it accepts. */
export interface DeviceFormat {
  kind: "og" | "grey800" | "x" | "kindle" | "mono";
  width: number;
  height: number;
  depth: BitDepth;
  maxBytes: number;
}

/** Non-X boards: a PNG is decoded only when *under* 90,000 B (G2). */
export const OG_MAX_BYTES = OG_MAX_PNG_BYTES;
/** X-class boards download up to 750 KB (fw 1.8.10, #427). */
export const X_MAX_BYTES = 750_000;
/** Over this the TRMNL X switches to its slow 38-pass grey table, worse for flat greys (G3): stay under it. */
export const X_GREY_TABLE_BYTES = 102_400;
/** TRMNL's registry limit for Kindles. */
export const KINDLE_MAX_BYTES = 512_000;
/** The OG counts grey levels only in rows 0–430 (it ignores its own icon below): fewer than 3 there, 1-bit drawing (G2). */
export const OG_COUNTED_ROWS = 431;

/** `Model` values, compared without case, spaces, `_` or `-`: before fw 1.8.10 they were "reTerminal E1001", "PaperS3" (G4). */
const modelKey = (model: string) => model.toLowerCase().replace(/[^a-z0-9]/g, "");

/** 16-grey X-class boards and their native size when they send no Width/Height. */
const X_CLASS: Record<string, [number, number]> = {
  x: [1872, 1404],
  reterminale1003: [1872, 1404],
  papers3: [960, 540],
  lilygo: [960, 540],
  sensorias3: [1872, 1404],
  sensoriac5: [1872, 1404],
};
/** 800x480 boards whose firmware draws 4 greys. */
const GREY_800 = new Set(["reterminale1001", "waveshare397", "xteinkx4", "seeedesp32c3"]);
const OG = new Set(["og", "oggen2", "gen2"]);

const positive = (value: string | null) => {
  const n = Number(value?.trim());
  return Number.isInteger(n) && n > 0 && n <= 10_000 ? n : null;
};

export function readDeviceHeaders(headers: Headers): DeviceHeaders {
  return {
    model: headers.get("model")?.trim() || null,
    fwVersion: headers.get("fw-version")?.trim() || null,
    width: positive(headers.get("width")),
    height: positive(headers.get("height")),
    pngWidth: positive(headers.get("png-width")),
    pngHeight: positive(headers.get("png-height")),
  };
}

/** "1.6.0" ≤ version; a missing or unreadable version is not. */
export function firmwareAtLeast(version: string | null, wanted: [number, number, number]): boolean {
  const parts = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  if (!parts) return false;
  const have = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  for (let i = 0; i < 3; i++) if (have[i] !== wanted[i]) return have[i]! > wanted[i]!;
  return true;
}

/**
 * The format for a device. Without a mode: OG 1-bit (partial refresh, no flash); 4-grey 800x480 boards 2-bit;
 * X-class 4-bit at native size; a client asking for png-width/png-height (trmnl-kindle) 8-bit; anything else 1-bit.
 * `grey` is 2-bit on 800x480-class and 4-bit on X-class, and 1-bit on TRMNL firmware older than 1.6.0 (no 2-bit PNG).
 */
export function chooseFormat(seen: DeviceHeaders, mode: DeviceMode | undefined, portrait: boolean): DeviceFormat {
  const key = seen.model ? modelKey(seen.model) : null;
  const xSize = key ? X_CLASS[key] : undefined;
  const [nativeW, nativeH] = [seen.pngWidth ?? seen.width ?? xSize?.[0] ?? 800, seen.pngHeight ?? seen.height ?? xSize?.[1] ?? 480];
  // portrait turns a landscape panel (a client that asks for a portrait size already has one); the X rotates a
  // portrait PNG only from firmware 1.8.14 (#561), so older X firmware stays landscape
  const turn = portrait && nativeW > nativeH && (key !== "x" || firmwareAtLeast(seen.fwVersion, [1, 8, 14]));
  const [width, height] = turn ? [nativeH, nativeW] : [nativeW, nativeH];
  const at = (kind: DeviceFormat["kind"], depth: BitDepth, maxBytes: number): DeviceFormat => ({ kind, width, height, depth, maxBytes });
  // TRMNL firmware sends Model (≥1.5.8) or at least Width/Height (≥1.4.6); Kindle, Kobo and Pi clients send neither
  const trmnlFirmware = key !== null || seen.width !== null;
  const twoBitOk = !trmnlFirmware || firmwareAtLeast(seen.fwVersion, [1, 6, 0]);
  if (xSize) return mode === "1bit" ? at("x", 1, X_MAX_BYTES) : mode === "kindle" ? at("x", 8, X_MAX_BYTES) : at("x", 4, X_MAX_BYTES);
  if (mode === "kindle" || (mode === undefined && key === null && seen.pngWidth !== null)) return at("kindle", 8, KINDLE_MAX_BYTES);
  const kind = key === null ? "mono" : OG.has(key) ? "og" : GREY_800.has(key) ? "grey800" : "mono";
  const wantsGrey = mode === "grey" || (mode === undefined && kind === "grey800");
  if (!wantsGrey || !twoBitOk) return at(kind, 1, OG_MAX_BYTES);
  // a model-less client bigger than the OG (a Kobo) gets 16 greys
  return at(kind, key === null && Math.max(width, height) >= 1000 ? 4 : 2, key === null ? KINDLE_MAX_BYTES : OG_MAX_BYTES);
}

/** One line for logs and the CLI: "x 1872x1404 4-bit". */
export const describeFormat = (f: DeviceFormat) => `${f.kind} ${f.width}x${f.height} ${f.depth}-bit`;

/** The formats `render --model` draws: one per kind of screen, as a device of that kind would get it. */
export const MODEL_PRESETS = {
  og: { kind: "og", width: 800, height: 480, depth: 1, maxBytes: OG_MAX_BYTES },
  "og-grey": { kind: "og", width: 800, height: 480, depth: 2, maxBytes: OG_MAX_BYTES },
  x: { kind: "x", width: 1872, height: 1404, depth: 4, maxBytes: X_MAX_BYTES },
  // Kindle Paperwhite 7th gen / Voyage, held upright as trmnl-kindle draws
  kindle: { kind: "kindle", width: 1072, height: 1448, depth: 8, maxBytes: KINDLE_MAX_BYTES },
} as const satisfies Record<string, DeviceFormat>;
export type ModelPreset = keyof typeof MODEL_PRESETS;

/** A preset, turned upright when `portrait` (the Kindle already is). */
export function presetFormat(name: ModelPreset, portrait: boolean): DeviceFormat {
  const preset: DeviceFormat = { ...MODEL_PRESETS[name] };
  return portrait && preset.width > preset.height ? { ...preset, width: preset.height, height: preset.width } : preset;
}
