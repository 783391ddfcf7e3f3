// SVG → pixels → black and white, or greys of a PNG depth. Never dithered: text and charts stay crisp on e-ink.
import { Resvg } from "@resvg/resvg-js";
import { HttpError } from "../errors";
import { blankBwImage, encodePng1Bit, setBlack, type BwImage } from "./png1bit";
import { encodePngGray8 } from "./pngGray8";
import type { BitDepth, GreyImage } from "./pngGrey";

/** The TRMNL OG firmware decodes a PNG only when it is under 90,000 B (`data_size < MAX_IMAGE_SIZE`). */
export const OG_MAX_PNG_BYTES = 89_999;

/** Luminance below this is black. */
export const BLACK_BELOW = 128;

interface Rendered {
  width: number;
  height: number;
  pixels: Uint8Array; // RGBA
}

function renderSvg(svg: string, zoom = 1, crisp = false): Rendered {
  // native size for 1 bit: any scaling would smear edges into grey
  const fitTo = zoom === 1 ? { mode: "original" as const } : { mode: "zoom" as const, value: zoom };
  // crisp: no anti-aliasing at all (glyphs are paths in satori's SVG), so every pixel is exactly one fill's colour
  const image = new Resvg(svg, { fitTo, font: { loadSystemFonts: false }, ...(crisp ? { shapeRendering: 0 as const } : {}) }).render();
  return { width: image.width, height: image.height, pixels: new Uint8Array(image.pixels) };
}

/**
 * Grey level of a pixel laid on white. resvg's RGBA is premultiplied and leaves uncovered pixels 0,0,0,0,
 * which would read as black without this.
 */
function greyOnWhite(r: number, g: number, b: number, a: number): number {
  return (r * 299 + g * 587 + b * 114) / 1000 + (255 - a);
}

export function svgToBw(svg: string): BwImage {
  const { width, height, pixels } = renderSvg(svg);
  const image = blankBwImage(width, height);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 4) {
      if (greyOnWhite(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!) < BLACK_BELOW) setBlack(image, x, y);
    }
  }
  return image;
}

export function svgToPng1Bit(svg: string, maxBytes = OG_MAX_PNG_BYTES): Uint8Array {
  const png = encodePng1Bit(svgToBw(svg));
  if (png.length > maxBytes) {
    throw new HttpError(500, "image_too_large", `rendered PNG is ${png.length} bytes; the display accepts at most ${maxBytes}`);
  }
  return png;
}

export function svgToPngGray8(svg: string): Uint8Array {
  const { width, height, pixels } = renderSvg(svg);
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) {
    grey[p] = Math.round(greyOnWhite(pixels[4 * p]!, pixels[4 * p + 1]!, pixels[4 * p + 2]!, pixels[4 * p + 3]!));
  }
  return encodePngGray8(width, height, grey);
}

/** Where an SVG lands on a device's screen: its size, depth, and the zoom from the SVG's own size. */
export interface RasterTarget {
  width: number;
  height: number;
  depth: BitDepth;
  zoom: number;
}

/**
 * SVG → greys at the target's depth, centred on a white canvas of the target's size. At 1 and 2 bits nothing is
 * anti-aliased, so text and lines stay crisp and flat fills keep their exact grey (no fringes the OG would count
 * as extra levels); at 4 and 8 bits edges are smoothed and rounded to the nearest level.
 */
export function svgToGrey(svg: string, target: RasterTarget): GreyImage {
  const { width, height, pixels } = renderSvg(svg, target.zoom, target.depth <= 2);
  const step = 255 / (2 ** target.depth - 1);
  // grey (0..255, rounded) → the nearest level's grey
  const level = Uint8Array.from({ length: 256 }, (_, g) => Math.round(Math.round(g / step) * step));
  const grey = new Uint8Array(target.width * target.height).fill(255);
  const left = Math.max(0, Math.floor((target.width - width) / 2));
  const top = Math.max(0, Math.floor((target.height - height) / 2));
  for (let y = 0; y < Math.min(height, target.height); y++) {
    const row = (top + y) * target.width + left;
    for (let x = 0, i = 4 * y * width; x < Math.min(width, target.width); x++, i += 4) {
      // fully transparent (most of the canvas) is white; skip the arithmetic
      if (pixels[i + 3] === 0) continue;
      grey[row + x] = level[Math.min(255, Math.round(greyOnWhite(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!)))]!;
    }
  }
  return { width: target.width, height: target.height, grey };
}
