// SVG → pixels → pure black and white. Thresholded, never dithered: text and charts stay crisp on e-ink.
import { Resvg } from "@resvg/resvg-js";
import { HttpError } from "../errors";
import { blankBwImage, encodePng1Bit, setBlack, type BwImage } from "./png1bit";
import { encodePngGray8 } from "./pngGray8";

/** The TRMNL OG firmware shows its "too big" screen for anything larger. */
export const OG_MAX_PNG_BYTES = 90_000;

/** Luminance below this is black. */
export const BLACK_BELOW = 128;

interface Rendered {
  width: number;
  height: number;
  pixels: Uint8Array; // RGBA
}

function renderSvg(svg: string): Rendered {
  // native size: any scaling would smear edges into grey
  const image = new Resvg(svg, { fitTo: { mode: "original" }, font: { loadSystemFonts: false } }).render();
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
