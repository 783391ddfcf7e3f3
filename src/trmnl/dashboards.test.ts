import { expect, test } from "bun:test";
import { sampleOptions, SAMPLE_NOW, typicalData } from "../render/sample-data";
import { renderKey } from "./dashboards";

// typicalData: Wednesday 2024-03-20 14:05 Berlin, synced 20 min before, stale after 3 h; last workout yesterday 18:00
const at = (now: number) => renderKey({ ...typicalData, now }, sampleOptions);

test("the render key ignores the clock until what the screen shows would change", () => {
  const key = at(SAMPLE_NOW);
  // 2 h later: same day, sync 2 h 20 min old, not stale yet
  expect(at(SAMPLE_NOW + 2 * 3600)).toBe(key);
  // 3 h later: the sync is 3 h 20 min old, past staleAfterS: drawn reversed
  expect(at(SAMPLE_NOW + 3 * 3600)).not.toBe(key);
  // changed data, changed options
  expect(renderKey({ ...typicalData, restingHr: 53 }, sampleOptions)).not.toBe(key);
  expect(renderKey(typicalData, { ...sampleOptions, width: 480, height: 800 })).not.toBe(key);
});

test("the local date is part of the key: after midnight 'today' moves and times get a weekday", () => {
  const stale = { ...sampleOptions, staleAfterS: 10 * 86400 };
  const key = (now: number) => renderKey({ ...typicalData, now }, stale);
  // 14:05 → 23:55 the same day in Berlin, then 00:05 the next day
  expect(key(SAMPLE_NOW + 9 * 3600 + 50 * 60)).toBe(key(SAMPLE_NOW));
  expect(key(SAMPLE_NOW + 10 * 3600)).not.toBe(key(SAMPLE_NOW));
});
