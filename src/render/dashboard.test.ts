import { describe, expect, test } from "bun:test";
import { hasNoData, renderDashboard, type DashboardData } from "./dashboard";
import { decodePng1Bit, isWhite, readPngHeader } from "./png1bit";
import { OG_MAX_PNG_BYTES } from "./rasterize";
import { sampleDataSets, sampleOptions, SAMPLE_NOW, typicalData } from "./sample-data";

const landscape = sampleOptions;
const portrait = { ...sampleOptions, width: 480, height: 800 };

function blackPixels(png: Uint8Array): number {
  const image = decodePng1Bit(png);
  let n = 0;
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) if (!isWhite(image, x, y)) n++;
  return n;
}

/** Edge cases the sample sets do not cover: too few days, one reading, empty name, no goal. */
const oddData: DashboardData = {
  ...typicalData,
  days: typicalData.days.slice(-2),
  heartRate24h: [{ ts: SAMPLE_NOW - 60, bpm: 64 }],
  lastWorkout: { name: "", start: SAMPLE_NOW - 40 * 86400, durationS: 0 },
  lastSleep: { start: 0, end: 0, asleepS: 0 },
};

const cases = Object.entries({ ...sampleDataSets, odd: oddData });

describe.each([
  ["landscape", landscape],
  ["portrait", portrait],
] as const)("renderDashboard %s", (_, opts) => {
  test.each(cases)("%s: a 1-bit PNG of the display's size, under the OG limit, white ground, black ink", async (_, data) => {
    const png = await renderDashboard(data, opts);
    expect(readPngHeader(png)).toEqual({
      width: opts.width,
      height: opts.height,
      bitDepth: 1,
      colourType: 0,
      compression: 0,
      filter: 0,
      interlace: 0,
    });
    expect(png.length).toBeLessThan(OG_MAX_PNG_BYTES);
    const image = decodePng1Bit(png);
    expect([isWhite(image, 0, 0), isWhite(image, opts.width - 1, 0), isWhite(image, 0, opts.height - 1)]).toEqual([true, true, true]);
    expect(blackPixels(png)).toBeGreaterThan(2000);
  });

  test("the weekly goal is a tick at the goal's place on the week bar; without a goal there is none", async () => {
    // the week panel is at (16, 16), 232 high: its bar starts at y = 16 + 232 − 36 = 212, and the tick reaches 8 px above it.
    // The typical week has 379 min in z2+ (6.3 h), under the 10 h goal: the bar's scale is the goal, so the tick's
    // 4 px end at the panel's right edge, x = 16 + panel width.
    const panelW = opts.width > opts.height ? 340 : opts.width - 32;
    const tickColumns = async (goal: number | undefined) => {
      const image = decodePng1Bit(await renderDashboard(typicalData, { ...opts, weeklyZ2GoalH: goal }));
      const columns = new Set<number>();
      for (let y = 204; y < 212; y++) for (let x = 16; x < 16 + panelW; x++) if (!isWhite(image, x, y)) columns.add(x);
      return [...columns];
    };
    expect(await tickColumns(10)).toEqual([12, 13, 14, 15].map((d) => panelW + d));
    expect(await tickColumns(undefined)).toEqual([]);
  });
});

test("the same data gives the same bytes", async () => {
  const a = await renderDashboard(typicalData, landscape);
  const b = await renderDashboard(structuredClone(typicalData), { ...landscape });
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
});

test("a stale screen differs from a fresh one, and is darker: the sync time is reversed", async () => {
  const fresh = await renderDashboard(typicalData, landscape);
  const stale = await renderDashboard(typicalData, { ...landscape, staleAfterS: 60 });
  expect(Buffer.from(stale).equals(Buffer.from(fresh))).toBe(false);
  // the reversed sync cell is about 156 x 58 px of black, less its white text
  expect(blackPixels(stale) - blackPixels(fresh)).toBeGreaterThan(5000);
});

test("no data: never synced, or synced with nothing in it", () => {
  expect([sampleDataSets.empty, sampleDataSets.zero, typicalData, sampleDataSets.oneDay].map(hasNoData)).toEqual([true, true, false, false]);
});
