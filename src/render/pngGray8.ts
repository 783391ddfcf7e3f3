// 8-bit greyscale PNG for the summarize plots, which are looked at on a computer and may use real grey.
import { PNG_SIGNATURE, concatBytes, idat, ihdr, pngChunk } from "./png1bit";

/** `grey` holds one byte a pixel, row after row, 0 = black, 255 = white. */
export function encodePngGray8(width: number, height: number, grey: Uint8Array): Uint8Array {
  if (grey.length !== width * height) throw new Error(`expected ${width * height} grey bytes, got ${grey.length}`);
  return concatBytes([PNG_SIGNATURE, ihdr(width, height, 8, 0), idat(grey, width, height), pngChunk("IEND", new Uint8Array())]);
}
