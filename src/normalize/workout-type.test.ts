import { expect, test } from "bun:test";
import { workoutType } from "./workout-type";

test("known activities map to one type in any language; others are sanitised and bounded", () => {
  expect(
    ["Outdoor Run", "Indoor Run", "Outdoor_Ausführen", "Laufen", "Outdoor Walk", "Outdoor Cycle", "Traditional Strength Training", "Funktionelles Krafttraining", "Pool Swim", "Flexibility", "Other", "Curling \"x\",zone=z5\n", "", "🏄"].map(workoutType),
  ).toEqual(["run", "run", "run", "run", "walk", "cycle", "strength", "strength", "swim", "flexibility", "other", "curling_x_zone_z5", "other", "other"]);
  expect(workoutType("a".repeat(100)).length).toBe(32);
});
