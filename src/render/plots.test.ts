import { expect, test } from "bun:test";
import { decodePngGrey } from "./pngGrey";
import { readPngHeader } from "./png1bit";
import { renderHeartRatePlot, renderZoneBarChart } from "./plots";

const bounds = [114, 133, 152, 171];
const HOUR = 1_767_225_600; // 2026-01-01T00:00:00Z

test("heart-rate plot: the line sits at each reading's bpm over grey zone bands (8-bit grey)", async () => {
  // a reading a minute for an hour: 130 bpm for 30 min, then 160
  const points = Array.from({ length: 60 }, (_, i) => ({ ts: HOUR + 60 * i, bpm: i < 30 ? 130 : 160 }));
  const png = await renderHeartRatePlot({ points, zoneBoundsBpm: bounds, title: "Heart rate", timeZone: "UTC", width: 900, height: 400 });
  expect(readPngHeader(png)).toMatchObject({ width: 900, height: 400, bitDepth: 8, colourType: 0, interlace: 0 });
  const image = decodePngGrey(png);
  const grey = (x: number, y: number) => image.grey[y * image.width + x]!;
  // plot box x 70 + 750, y 60 + 280; bpm axis 100 (floor of 114 − 10) to 190 (z5's 171 + 10, rounded up):
  // y(bpm) = 60 + (190 − bpm) / 90 · 280, so y(130) = 246.7 and y(160) = 153.3.
  // Column 200 is 613 s in (130 bpm), column 700 2974 s in (160 bpm). The 2 px line covers y − 1 .. y + 1: rows more
  // than half covered are dark, 246–247 (245.7–247.7) and 152–153 (152.3–154.3).
  const dark = (x: number) => Array.from({ length: 270 }, (_, i) => 65 + i).filter((y) => grey(x, y) < 128);
  expect([dark(200), dark(700)]).toEqual([[246, 247], [152, 153]]);
  // bands at column 200: z3 (133–152 bpm, y 178–237) #d9, z2 (114–133, y 237–296) #ec, z1 below 114 white
  expect([grey(200, 200), grey(200, 280), grey(200, 320)]).toEqual([0xd9, 0xec, 0xff]);
});

test("heart-rate plot without readings says so instead of failing", async () => {
  const png = await renderHeartRatePlot({ points: [], zoneBoundsBpm: bounds, title: "Heart rate", timeZone: "UTC" });
  const image = decodePngGrey(png);
  // no bands and no frame: the plot box (70..1120, 60..540) is white but for the message in its middle
  const inked = (y: number) => Array.from({ length: 1050 }, (_, i) => 70 + i).some((x) => image.grey[y * image.width + x]! < 255);
  expect([image.width, image.height, inked(100), inked(300), inked(500)]).toEqual([1200, 600, false, true, false]);
});

test("zone bar chart: each bar's length is its share of the longest zone", async () => {
  // bars start at x 70 inside a 510 px frame; rows 66 px apart from y 60, bars 56 high.
  // z1 1 h is the longest: 510 px; z2 30 min 255; z3 15 min 127.5 → 128; z4 none; z5 6 min 51.
  // Counted on each bar's middle row in its own grey, less the frame's column at x 70 (and at 579 for z1);
  // z5's black bar joins the frame: its 51 px plus the frame's right column.
  const counts = async (zoneSeconds: Record<"z1" | "z2" | "z3" | "z4" | "z5", number>) => {
    const image = decodePngGrey(await renderZoneBarChart({ zoneSeconds, title: "Zones" }));
    return [0xd9, 0xb3, 0x8c, 0x59, 0x00].map((ink, i) => {
      const y = 60 + 66 * i + 28;
      return Array.from({ length: 510 }, (_, k) => 70 + k).filter((x) => image.grey[y * image.width + x] === ink).length;
    });
  };
  expect(await counts({ z1: 3600, z2: 1800, z3: 900, z4: 0, z5: 360 })).toEqual([508, 254, 127, 0, 52]);
  // an all-zero week: empty frames, only their two black sides on the z5 row
  expect(await counts({ z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 })).toEqual([0, 0, 0, 0, 2]);
});
