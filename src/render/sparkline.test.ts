import { expect, test } from "bun:test";
import { sparkline } from "./sparkline";

const box = { x: 10, y: 20, w: 100, h: 53 }; // 50 columns of 2 px; 53 - 3 px stroke = 50 px of travel

test("nothing in the window draws nothing", () => {
  expect(sparkline([{ ts: 5, bpm: 60 }], 100, 200, box)).toBeNull();
});

test("min and max land on the box's bottom and top, at their column", () => {
  // 100 s over 50 columns: ts 150 is column 25 (x 10 + 50 + 1), ts 110 column 5 (x 10 + 10 + 1)
  const line = sparkline([{ ts: 100, bpm: 80 }, { ts: 110, bpm: 60 }, { ts: 150, bpm: 160 }, { ts: 199, bpm: 90 }], 100, 200, box)!;
  expect({ min: line.min, max: line.max }).toEqual({ min: { bpm: 60, x: 21, y: 71 }, max: { bpm: 160, x: 61, y: 21 } });
});

test("readings close in time are joined: every column between them is inked", () => {
  const line = sparkline([{ ts: 100, bpm: 60 }, { ts: 198, bpm: 160 }], 100, 200, box)!;
  const columns = new Set([...line.svg.matchAll(/x="(\d+)"/g)].map((m) => Number(m[1])));
  expect(columns.size).toBe(50);
});

test("readings over 30 min apart are not joined", () => {
  const line = sparkline([{ ts: 0, bpm: 60 }, { ts: 4000, bpm: 70 }], 0, 4000, box)!;
  expect([...line.svg.matchAll(/<rect/g)].length).toBe(2);
});
