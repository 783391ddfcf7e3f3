// Heart-rate zones told apart in pure black and white: solid z5, dense to sparse textures, outline-only z1.
import { rect, type Box } from "./element";

export const ZONE_KEYS = ["z1", "z2", "z3", "z4", "z5"] as const;
export type ZoneKey = (typeof ZONE_KEYS)[number];

/** How zones are told apart: black-and-white textures (1 bit), or flat greys (2 bits: two greys; 4 and 8 bits: a ramp). */
export type ZoneInk = "hatch" | "grey4" | "grey16";

/** Pixel rows of a square tile: which cells are black on `ground`. Whole pixels, so nothing turns grey by accident. */
function tile(id: string, size: number, blackAt: (x: number, y: number) => boolean, ground = "white"): string {
  let cells = "";
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (blackAt(x, y)) cells += rect(x, y, 1, 1);
  // userSpaceOnUse from 0,0: every tile lands on the canvas pixel grid
  return `<pattern id="${id}" patternUnits="userSpaceOnUse" x="0" y="0" width="${size}" height="${size}">${rect(0, 0, size, size, ground)}${cells}</pattern>`;
}

const thickDiagonal = (x: number, y: number) => (x + y) % 6 < 4;

/** Flat greys per ink; 2-bit uses the OG's own levels (0xAA, 0x55), 4-bit multiples of 17, each one of the X's 16. */
const FLAT: Record<Exclude<ZoneInk, "hatch">, Partial<Record<ZoneKey, string>>> = {
  grey4: { z3: "#555555", z2: "#aaaaaa" },
  grey16: { z4: "#555555", z3: "#999999", z2: "#cccccc" },
};

/** The textures zone fills point at; flat greys need none (a tiled flat fill shows seams once scaled). */
export const zonePatternDefs = (ink: ZoneInk = "hatch"): string =>
  ink === "grey16"
    ? ""
    : "<defs>" +
      (ink === "hatch"
        ? tile("zone-z4", 6, thickDiagonal) + // thick diagonal, two thirds black
          tile("zone-z3", 6, (x, y) => (x - y + 6) % 6 < 2) + // thin diagonal the other way
          tile("zone-z2", 6, (x, y) => x % 6 < 2 && y % 6 < 2) // sparse 2 px dots
        : tile("zone-z4", 6, thickDiagonal, "#555555")) + // 2-bit has only two greys: z4 keeps a texture over the darker
      "</defs>";

/** Chart SVG with zone textures swapped for the ink's flat greys. */
export function inkZones(svg: string, ink: ZoneInk): string {
  if (ink === "hatch") return svg;
  return Object.entries(FLAT[ink]).reduce((out, [zone, grey]) => out.replaceAll(`url(#zone-${zone})`, grey), svg);
}

const FILL: Record<ZoneKey, string> = { z5: "black", z4: "url(#zone-z4)", z3: "url(#zone-z3)", z2: "url(#zone-z2)", z1: "white" };

/** Outline of 2 px around a fill, the way a zone looks in a bar and in the legend. */
export function swatch(box: Box, zone: ZoneKey): string {
  return rect(box.x, box.y, box.w, box.h) + rect(box.x + 2, box.y + 2, box.w - 4, box.h - 4, FILL[zone]);
}

export interface Part {
  zone: ZoneKey;
  seconds: number;
}

/**
 * A bar of zone parts, growing up from the bottom of `box` or right from its left edge, `pxPerSecond` long.
 * Part edges are rounded cumulatively so parts meet without gaps; parts are split by 2 px lines.
 */
export function stackedBar(box: Box, grow: "up" | "right", parts: Part[], pxPerSecond: number): { svg: string; length: number } {
  const length = grow === "up" ? box.h : box.w;
  const sums = parts.reduce((acc, part) => [...acc, acc.at(-1)! + part.seconds], [0]);
  if (sums.at(-1)! <= 0) return { svg: "", length: 0 };
  const stub = sums.at(-1)! * pxPerSecond < 6; // a sliver still shows, as a solid stub
  const edges = sums.map((s) => (stub ? (s > 0 ? 6 : 0) : Math.min(length, Math.round(s * pxPerSecond))));
  const along = (from: number, to: number, inset: number) =>
    grow === "up"
      ? { x: box.x + inset, y: box.y + box.h - to, w: box.w - 2 * inset, h: to - from }
      : { x: box.x + from, y: box.y + inset, w: to - from, h: box.h - 2 * inset };
  const outer = along(0, edges.at(-1)!, 0);
  let svg = rect(outer.x, outer.y, outer.w, outer.h);
  parts.forEach((part, i) => {
    const from = edges[i]! + 2; // the outline or the line closing the previous part
    const to = i === parts.length - 1 || edges[i + 1] === edges.at(-1) ? edges[i + 1]! - 2 : edges[i + 1]!;
    if (to - from < 2) return;
    const inner = along(from, to, 2);
    svg += rect(inner.x, inner.y, inner.w, inner.h, FILL[part.zone]);
  });
  return { svg, length: edges.at(-1)! };
}
