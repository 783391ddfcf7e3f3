import { expect, test } from "bun:test";
import { inflateSync } from "node:zlib";
import { readPngChunks, readPngHeader } from "./png1bit";
import { renderHeartRatePlot, renderZoneBarChart } from "./plots";
import { typicalData } from "./sample-data";

const bounds = [114, 133, 152, 171];

test("heart-rate plot: an 8-bit grey PNG of the asked size, with grey zone bands", async () => {
  const png = await renderHeartRatePlot({ points: typicalData.heartRate24h, zoneBoundsBpm: bounds, title: "Heart rate", timeZone: "UTC", width: 900, height: 400 });
  expect(readPngHeader(png)).toMatchObject({ width: 900, height: 400, bitDepth: 8, colourType: 0, interlace: 0 });
  const rows = inflateSync(readPngChunks(png).get("IDAT")!);
  const greys = new Set(rows.filter((_, i) => i % 901 !== 0)); // skip each row's filter byte
  expect([greys.has(0), greys.has(255), greys.has(0xec), greys.has(0xb3)]).toEqual([true, true, true, true]);
});

test("heart-rate plot without readings says so instead of failing", async () => {
  const png = await renderHeartRatePlot({ points: [], zoneBoundsBpm: bounds, title: "Heart rate", timeZone: "UTC" });
  expect(readPngHeader(png)).toMatchObject({ width: 1200, height: 600 });
});

test("zone bar chart renders, also for an all-zero week", async () => {
  for (const zoneSeconds of [typicalData.week, { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 }]) {
    expect(readPngHeader(await renderZoneBarChart({ zoneSeconds, title: "Zones" }))).toMatchObject({ width: 800, height: 400, bitDepth: 8 });
  }
});
