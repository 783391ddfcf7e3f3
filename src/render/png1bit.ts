// True 1-bit greyscale PNG: what lets the TRMNL OG redraw without a full flash, and keeps files small.
import { deflateSync, inflateSync } from "node:zlib";

/** A black-and-white image: 1 bit a pixel, 1 = white, most significant bit first, rows padded to whole bytes. */
export interface BwImage {
  width: number;
  height: number;
  bits: Uint8Array;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  compression: number;
  filter: number;
  interlace: number;
}

export const PNG_SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

export const rowBytes = (width: number) => Math.ceil(width / 8);

export function blankBwImage(width: number, height: number): BwImage {
  return { width, height, bits: new Uint8Array(rowBytes(width) * height).fill(0xff) };
}

export function isWhite(image: BwImage, x: number, y: number): boolean {
  const byte = image.bits[y * rowBytes(image.width) + (x >> 3)]!;
  return ((byte >> (7 - (x & 7))) & 1) === 1;
}

export function setBlack(image: BwImage, x: number, y: number): void {
  image.bits[y * rowBytes(image.width) + (x >> 3)]! &= ~(0x80 >> (x & 7));
}

/** Builds an image from a per-pixel rule, e.g. a luminance threshold. */
export function bwImageFrom(width: number, height: number, white: (x: number, y: number) => boolean): BwImage {
  const image = blankBwImage(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (!white(x, y)) setBlack(image, x, y);
  return image;
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode(type), 4);
  chunk.set(data, 8);
  // the CRC covers the type and the data, not the length
  view.setUint32(8 + data.length, Bun.hash.crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

export function ihdr(width: number, height: number, bitDepth: number, colourType: number): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([bitDepth, colourType, 0, 0, 0], 8); // deflate, adaptive filtering, no interlace
  return pngChunk("IHDR", data);
}

/** Prefixes every row with filter type 0 (none) and zlib-compresses the lot. */
export function idat(rows: Uint8Array, stride: number, height: number): Uint8Array {
  const filtered = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) filtered.set(rows.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  // PNG wants a zlib stream (header + adler32); Bun.deflateSync emits raw deflate, node's deflateSync does not
  return pngChunk("IDAT", deflateSync(filtered, { level: 9 }));
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function encodePng1Bit(image: BwImage): Uint8Array {
  const { width, height, bits } = image;
  return concatBytes([
    PNG_SIGNATURE,
    ihdr(width, height, 1, 0),
    idat(bits, rowBytes(width), height),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG: bad signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(12, 16)) !== "IHDR") throw new Error("not a PNG: IHDR is not first");
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24]!,
    colourType: bytes[25]!,
    compression: bytes[26]!,
    filter: bytes[27]!,
    interlace: bytes[28]!,
  };
}

/** Walks the chunks, checking every CRC; returns them by type (IDAT parts concatenated). */
export function readPngChunks(bytes: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks = new Map<string, Uint8Array>();
  for (let at = 8; at < bytes.length; ) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (view.getUint32(at + 8 + length) !== Bun.hash.crc32(bytes.subarray(at + 4, at + 8 + length))) {
      throw new Error(`PNG chunk ${type} has a bad CRC`);
    }
    chunks.set(type, chunks.has(type) ? concatBytes([chunks.get(type)!, data]) : data);
    at += 12 + length;
  }
  return chunks;
}

/** Decodes a 1-bit greyscale PNG written with filter 0, as ours are; enough for tests and the CLI to look inside. */
export function decodePng1Bit(bytes: Uint8Array): BwImage {
  const header = readPngHeader(bytes);
  if (header.bitDepth !== 1 || header.colourType !== 0 || header.interlace !== 0) {
    throw new Error(`not a 1-bit greyscale PNG: depth ${header.bitDepth}, colour type ${header.colourType}`);
  }
  const raw = inflateSync(readPngChunks(bytes).get("IDAT")!);
  const stride = rowBytes(header.width);
  const image = blankBwImage(header.width, header.height);
  for (let y = 0; y < header.height; y++) {
    const filterType = raw[y * (stride + 1)];
    if (filterType !== 0) throw new Error(`row ${y} uses PNG filter ${filterType}; only 0 is supported`);
    image.bits.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return image;
}
