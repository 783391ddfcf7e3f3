// Greyscale PNG (colour type 0) at 1, 2, 4 or 8 bits: the only kind every TRMNL firmware, the X and a Kindle's
// eips all draw right. Never palette (inverted or black on some firmware), interlaced (rejected) or 16-bit (black).
import { inflateSync } from "node:zlib";
import { PNG_SIGNATURE, concatBytes, idat, ihdr, pngChunk, readPngChunks, readPngHeader } from "./png1bit";

export type BitDepth = 1 | 2 | 4 | 8;

/** One byte a pixel, row after row, 0 = black, 255 = white. */
export interface GreyImage {
  width: number;
  height: number;
  grey: Uint8Array;
}

/** The grey values a depth can show: 2-bit is 0x00, 0x55, 0xAA, 0xFF; 4-bit is k×17. */
export const greyLevels = (depth: BitDepth): number[] => Array.from({ length: 2 ** depth }, (_, k) => (k * 255) / (2 ** depth - 1));

/** For each grey value, the index (sample value) of the nearest level of `depth`. */
const sampleTable = (depth: BitDepth) => Uint8Array.from({ length: 256 }, (_, g) => Math.round((g * (2 ** depth - 1)) / 255));

export function encodePngGrey(image: GreyImage, depth: BitDepth): Uint8Array {
  const { width, height, grey } = image;
  if (grey.length !== width * height) throw new Error(`expected ${width * height} grey bytes, got ${grey.length}`);
  const perByte = 8 / depth;
  const stride = Math.ceil(width / perByte);
  const rows = new Uint8Array(stride * height);
  const sample = sampleTable(depth);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const from = y * width;
    // most significant bits first; padding samples stay 0 (the decoder ignores them)
    for (let x = 0, shift = 8 - depth, at = row; x < width; x++) {
      rows[at]! |= sample[grey[from + x]!]! << shift;
      if (shift === 0) {
        shift = 8 - depth;
        at++;
      } else shift -= depth;
    }
  }
  return concatBytes([PNG_SIGNATURE, ihdr(width, height, depth, 0), idat(rows, stride, height), pngChunk("IEND", new Uint8Array())]);
}

/** Decodes a greyscale PNG of 1–8 bits written with filter 0, as ours are; enough for tests and the CLI to look inside. */
export function decodePngGrey(bytes: Uint8Array): GreyImage & { depth: BitDepth } {
  const header = readPngHeader(bytes);
  const depth = header.bitDepth as BitDepth;
  if (![1, 2, 4, 8].includes(depth) || header.colourType !== 0 || header.interlace !== 0) {
    throw new Error(`not a 1–8 bit greyscale PNG: depth ${header.bitDepth}, colour type ${header.colourType}, interlace ${header.interlace}`);
  }
  const { width, height } = header;
  const raw = inflateSync(readPngChunks(bytes).get("IDAT")!);
  const perByte = 8 / depth;
  const stride = Math.ceil(width / perByte);
  const max = 2 ** depth - 1;
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    if (raw[row] !== 0) throw new Error(`row ${y} uses PNG filter ${raw[row]}; only 0 is supported`);
    for (let x = 0; x < width; x++) {
      const sample = (raw[row + 1 + Math.floor(x / perByte)]! >> (8 - depth * ((x % perByte) + 1))) & max;
      grey[y * width + x] = (sample * 255) / max;
    }
  }
  return { width, height, grey, depth };
}

/** The distinct grey values in rows [fromRow, toRow), sorted: what the OG counts to decide 1-bit or 4-grey. */
export function greysInRows(image: GreyImage, fromRow = 0, toRow = image.height): number[] {
  const seen = new Set<number>();
  for (let p = fromRow * image.width; p < Math.min(toRow, image.height) * image.width; p++) seen.add(image.grey[p]!);
  return [...seen].sort((a, b) => a - b);
}
