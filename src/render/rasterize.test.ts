import { describe, expect, test } from "bun:test";
import { HttpError } from "../errors";
import { isWhite, readPngHeader, decodePng1Bit } from "./png1bit";
import { svgToBw, svgToPng1Bit } from "./rasterize";

const svg = (body: string, w = 20, h = 10) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`;

const blackCount = (body: string) => {
  const image = svgToBw(svg(body));
  let n = 0;
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (!isWhite(image, x, y)) n++;
  return n;
};

describe("svgToBw", () => {
  test("flattens transparency onto white instead of black", () => {
    expect(blackCount("")).toBe(0);
  });

  test("a 2 px line on whole pixels stays exactly 2 px", () => {
    expect(blackCount(`<rect x="3" y="4" width="10" height="2" fill="black"/>`)).toBe(20);
  });

  test("thresholds at luminance 128: light grey is white, dark grey is black", () => {
    expect(blackCount(`<rect width="20" height="10" fill="rgb(128,128,128)"/>`)).toBe(0);
    expect(blackCount(`<rect width="20" height="10" fill="rgb(127,127,127)"/>`)).toBe(200);
  });

  test("half-transparent black over nothing is light enough to be white", () => {
    // premultiplied 0,0,0,102 laid on white is grey 153
    expect(blackCount(`<rect width="20" height="10" fill="black" fill-opacity="0.4"/>`)).toBe(0);
  });
});

describe("svgToPng1Bit", () => {
  test("emits a 1-bit PNG of the SVG's native size", () => {
    const png = svgToPng1Bit(svg(`<rect width="5" height="5"/>`, 33, 17));
    expect(readPngHeader(png)).toMatchObject({ width: 33, height: 17, bitDepth: 1, colourType: 0 });
    const image = decodePng1Bit(png);
    expect([isWhite(image, 0, 0), isWhite(image, 32, 16)]).toEqual([false, true]);
  });

  test("refuses a PNG over the size limit with a clear error", () => {
    let stripes = "";
    for (let x = 0; x < 200; x += 2) stripes += `<rect x="${x}" y="${(x * 7) % 50}" width="1" height="50"/>`;
    const thrown = (() => {
      try {
        svgToPng1Bit(svg(stripes, 200, 100), 100);
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).code).toBe("image_too_large");
    expect((thrown as HttpError).message).toContain("at most 100");
  });
});
