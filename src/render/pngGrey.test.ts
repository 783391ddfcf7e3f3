import { expect, test } from "bun:test";
import { inflateSync } from "node:zlib";
import { readPngChunks, readPngHeader } from "./png1bit";
import { decodePngGrey, encodePngGrey, greyLevels, greysInRows, type BitDepth } from "./pngGrey";

// 5 x 2: a ramp black → white on row 0, white then black on row 1
const image = { width: 5, height: 2, grey: new Uint8Array([0, 0x55, 0xaa, 0xff, 0x80, 255, 255, 0, 0, 0]) };

test("levels per depth: 2-bit is 0x00/0x55/0xAA/0xFF, 4-bit k×17", () => {
  expect(greyLevels(2)).toEqual([0, 0x55, 0xaa, 0xff]);
  expect(greyLevels(4)).toEqual(Array.from({ length: 16 }, (_, k) => k * 17));
  expect(greyLevels(1)).toEqual([0, 255]);
});

test("2-bit: samples packed four a byte, most significant first, the row padded with zero bits", () => {
  const png = encodePngGrey(image, 2);
  expect(readPngHeader(png)).toEqual({ width: 5, height: 2, bitDepth: 2, colourType: 0, compression: 0, filter: 0, interlace: 0 });
  expect([...readPngChunks(png).keys()]).toEqual(["IHDR", "IDAT", "IEND"]);
  // row 0: samples 0,1,2,3 → 00 01 10 11 = 0x1B; 0x80 = 128 rounds to sample 2 (0xAA) → 10 00 00 00 = 0x80
  // row 1: 3,3,0,0 → 11 11 00 00 = 0xF0; 0 → 0x00
  expect([...inflateSync(readPngChunks(png).get("IDAT")!)]).toEqual([0, 0x1b, 0x80, 0, 0xf0, 0x00]);
});

test.each([1, 2, 4, 8] as BitDepth[])("%i-bit decodes back to the nearest levels", (depth) => {
  const decoded = decodePngGrey(encodePngGrey(image, depth));
  const nearest = (g: number) => greyLevels(depth).reduce((best, level) => (Math.abs(level - g) < Math.abs(best - g) ? level : best));
  expect(decoded).toEqual({ width: 5, height: 2, depth, grey: new Uint8Array([...image.grey].map(nearest)) });
});

test("greys counted per row range, as the OG counts rows 0–430", () => {
  expect(greysInRows(image)).toEqual([0, 0x55, 0x80, 0xaa, 0xff]);
  expect(greysInRows(image, 1, 2)).toEqual([0, 255]);
});

test("a palette or 16-bit PNG is refused by the decoder", () => {
  const png = encodePngGrey(image, 8);
  const palette = png.slice();
  palette[25] = 3; // colour type in IHDR (the CRC is not re-checked by readPngHeader)
  expect(() => decodePngGrey(palette)).toThrow("not a 1–8 bit greyscale PNG");
});
