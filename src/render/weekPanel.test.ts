import { expect, test } from "bun:test";
import { trainingLine } from "./weekPanel";

test("the training line: form signed and rounded, the week's moderate-equivalent minutes against the goal", () => {
  expect(trainingLine({ tsb: -41.6, weekMin: 112.9, goalMin: 150 })).toBe("form \u221242 \u00b7 goal 112/150 min");
  expect(trainingLine({ tsb: 3.4, weekMin: 300, goalMin: 150 })).toBe("form +3 \u00b7 goal 300/150 min");
  expect(trainingLine({ tsb: 0.2, weekMin: 0, goalMin: 90 })).toBe("form 0 \u00b7 goal 0/90 min");
});
