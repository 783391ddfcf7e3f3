// Each model's image as a device gets it: PNG header, grey set, size limits, the OG's rows 0–430 rule, crisp text.
import { describe, expect, test } from "bun:test";
import { renderDashboard, type DashboardData } from "../render/dashboard";
import { readPngHeader } from "../render/png1bit";
import { decodePngGrey, greyLevels, greysInRows } from "../render/pngGrey";
import { emptyData, sampleDataSets, sampleOptions, typicalData } from "../render/sample-data";
import { renderForDevice } from "./dashboards";
import { OG_COUNTED_ROWS, presetFormat, X_GREY_TABLE_BYTES, type DeviceFormat, type ModelPreset } from "./deviceFormat";

/** Several renders of up to 1872x1404 each, on a machine that may be busy. */
const RENDERS_TIMEOUT_MS = 30_000;

const draw = (data: DashboardData, format: DeviceFormat, extra = {}) =>
  renderForDevice(renderDashboard, data, { ...sampleOptions, width: format.width, height: format.height, depth: format.depth, ...extra }, format);

const MODELS: [ModelPreset, boolean][] = [
  ["og", false],
  ["og-grey", false],
  ["og-grey", true],
  ["x", false],
  ["x", true],
  ["kindle", false],
];

describe.each(MODELS)("%s (portrait %p)", (model, portrait) => {
  const format = presetFormat(model, portrait);
  // the no-data screen, a typical day, and the extremes (the longest texts and fullest bars)
  test.each((["empty", "typical", "extreme"] as const).map((name) => [name, sampleDataSets[name]] as const))("%s: greyscale colour type 0 at the model's size and depth, within its limit, on its levels", async (name, data) => {
    const png = await draw(data, format);
    // a 2-bit screen without three greys in rows 0–430 goes out as 1-bit (the no-data screen has no grey)
    const noGrey = format.depth === 2 && name === "empty";
    expect(readPngHeader(png)).toEqual({
      width: format.width,
      height: format.height,
      bitDepth: noGrey ? 1 : format.depth,
      colourType: 0,
      compression: 0,
      filter: 0,
      interlace: 0,
    });
    expect(png.length).toBeLessThanOrEqual(format.kind === "x" ? X_GREY_TABLE_BYTES - 1 : format.maxBytes);
    const image = decodePngGrey(png);
    const levels = greyLevels(image.depth);
    expect(greysInRows(image).filter((g) => !levels.includes(g))).toEqual([]);
    // white ground, black ink
    expect([image.grey[0], image.grey[image.width - 1], image.grey[image.grey.length - 1]]).toEqual([255, 255, 255]);
    expect(image.grey.filter((g) => g === 0).length).toBeGreaterThan(2000);
  }, RENDERS_TIMEOUT_MS);
});

test("2-bit OG: exactly the four greys 0x00/0x55/0xAA/0xFF, and at least three of them in rows 0–430", async () => {
  for (const portrait of [false, true]) {
    const image = decodePngGrey(await draw(typicalData, presetFormat("og-grey", portrait)));
    expect(image.depth).toBe(2);
    expect(greysInRows(image)).toEqual([0, 0x55, 0xaa, 0xff]);
    expect(greysInRows(image, 0, OG_COUNTED_ROWS).length).toBeGreaterThanOrEqual(3);
  }
}, RENDERS_TIMEOUT_MS);

test("2-bit text has no grey fringe: the label 'ZONE 2+ THIS WEEK' is pure black on white", async () => {
  const image = decodePngGrey(await draw(typicalData, presetFormat("og-grey", false)));
  // the label sits at x 16–250, y 16–38 of the landscape canvas (weekPanel's LABEL_H row)
  const label = { ...image, grey: new Uint8Array(234 * 22).map((_, i) => image.grey[(16 + Math.floor(i / 234)) * 800 + 16 + (i % 234)]!) };
  expect(greysInRows({ width: 234, height: 22, grey: label.grey })).toEqual([0, 255]);
}, RENDERS_TIMEOUT_MS);

test("X: zone bars are flat greys of the 16 (0x55, 0x99, 0xCC), the zone bands behind the heart rate lighter ones", async () => {
  const image = decodePngGrey(await draw(typicalData, presetFormat("x", false)));
  const counts = new Map<number, number>();
  for (const g of image.grey) counts.set(g, (counts.get(g) ?? 0) + 1);
  // each zone grey fills thousands of pixels (a flat area), not just edge pixels
  for (const grey of [0x55, 0x99, 0xcc, 0xee, 0xdd, 0xbb]) expect(counts.get(grey) ?? 0).toBeGreaterThan(3000);
}, RENDERS_TIMEOUT_MS);

test("a 2-bit screen with no grey in rows 0–430 is sent as 1-bit; so is one over the device's limit", async () => {
  const og = presetFormat("og-grey", false);
  expect(readPngHeader(await draw(emptyData, og)).bitDepth).toBe(1);
  // a limit between the 1-bit size and the 2-bit size of the same screen
  const [grey, mono] = [await draw(typicalData, og), await draw(typicalData, presetFormat("og", false))];
  const limit = Math.floor((grey.length + mono.length) / 2);
  expect(mono.length).toBeLessThan(grey.length);
  expect(await draw(typicalData, { ...og, maxBytes: limit })).toEqual(mono);
  await expect(draw(typicalData, { ...og, maxBytes: 1000 })).rejects.toThrow("the display accepts at most 1000");
}, RENDERS_TIMEOUT_MS);

test("low battery: a small mark in the top-right margin, the rest of the screen unchanged", async () => {
  const format = presetFormat("og", false);
  const plain = decodePngGrey(await draw(typicalData, format));
  const low = decodePngGrey(await draw(typicalData, format, { batteryLow: true }));
  const changed: [number, number][] = [];
  for (let p = 0; p < plain.grey.length; p++) if (plain.grey[p] !== low.grey[p]) changed.push([p % 800, Math.floor(p / 800)]);
  // the mark is 31x14 at x 753–783, y 1–14: outline 2 px (28x14 less 24x10 inside = 152), bar 4x6 = 24, nub 3x6 = 18
  expect(changed.length).toBe(152 + 24 + 18);
  expect(changed.every(([x, y]) => x >= 753 && x <= 783 && y >= 1 && y <= 14)).toBe(true);
}, RENDERS_TIMEOUT_MS);
