import { describe, expect, test } from "bun:test";
import { inflateSync } from "node:zlib";
import { bwImageFrom, decodePng1Bit, encodePng1Bit, isWhite, readPngChunks, readPngHeader } from "./png1bit";

// 10 x 3: row 0 all white, row 1 black at x = 0 and x = 9, row 2 all black
const image = bwImageFrom(10, 3, (x, y) => y === 0 || (y === 1 && x > 0 && x < 9));

describe("encodePng1Bit", () => {
  const png = encodePng1Bit(image);

  test("writes a 1-bit greyscale, non-interlaced IHDR", () => {
    expect(readPngHeader(png)).toEqual({ width: 10, height: 3, bitDepth: 1, colourType: 0, compression: 0, filter: 0, interlace: 0 });
  });

  test("every chunk's CRC checks out and IDAT is a zlib stream", () => {
    const chunks = readPngChunks(png);
    expect([...chunks.keys()]).toEqual(["IHDR", "IDAT", "IEND"]);
    const idat = chunks.get("IDAT")!;
    expect(idat[0]).toBe(0x78); // zlib header, deflate with a 32 K window
    // each row: filter byte 0, then 2 bytes; bit 1 = white, padding bits white
    // row 1: x=0 black, x=1..7 white -> 0111 1111; x=8 white, x=9 black, 6 padding -> 1011 1111
    expect([...inflateSync(idat)]).toEqual([0, 0xff, 0xff, 0, 0x7f, 0xbf, 0, 0x00, 0x3f]);
  });

  test("decodes back to the same pixels", () => {
    const decoded = decodePng1Bit(png);
    expect(decoded).toEqual(image);
    expect([isWhite(decoded, 0, 1), isWhite(decoded, 1, 1), isWhite(decoded, 9, 1)]).toEqual([false, true, false]);
  });
});

test("readPngHeader rejects what is not a PNG", () => {
  expect(() => readPngHeader(new Uint8Array(40))).toThrow("not a PNG");
});
