import { expect, test } from "bun:test";
import { distanceToKm, energyToKcal, normalizeUnit } from "./units";

test("converts to the stored units", () => {
  expect([
    normalizeUnit(4184, "kJ"), // 4184 / 4.184 = 1000 kcal
    normalizeUnit(10, "mi"), // 10 * 1.609344 = 16.09344 km
    normalizeUnit(212, "degF"), // (212 - 32) * 5/9 = 100 degC
    normalizeUnit(98.6, "degF").value.toFixed(6), // 66.6 * 5/9 = 37 degC
    normalizeUnit(100, "lb"), // 100 * 0.45359237 = 45.359237 kg
    normalizeUnit(2, "fl_oz_us"), // 2 * 29.5735295625 = 59.147059125 ml
    normalizeUnit(3, "mi/hr"), // 3 * 1.609344 = 4.828032 km/hr
    normalizeUnit(10, "in"), // 25.4 cm
  ]).toEqual([
    { value: 1000, unit: "kcal" },
    { value: 16.09344, unit: "km" },
    { value: 100, unit: "degC" },
    "37.000000",
    { value: 45.359237, unit: "kg" },
    { value: 59.147059125, unit: "ml" },
    { value: 4.828032, unit: "km/hr" },
    { value: 25.4, unit: "cm" },
  ]);
});

test("bpm is count/min; everything else is identity", () => {
  expect([
    normalizeUnit(61, "bpm"),
    normalizeUnit(61, "count/min"),
    normalizeUnit(5, "kcal"),
    normalizeUnit(37.2, "ml/(kg·min)"),
    normalizeUnit(1, ""),
    normalizeUnit(1, "__proto__"),
    normalizeUnit(1, "toString"),
  ]).toEqual([
    { value: 61, unit: "count/min" },
    { value: 61, unit: "count/min" },
    { value: 5, unit: "kcal" },
    { value: 37.2, unit: "ml/(kg·min)" },
    { value: 1, unit: "" },
    { value: 1, unit: "__proto__" },
    { value: 1, unit: "toString" },
  ]);
});

test("workout totals: energy in kcal, distance in km, undefined for other units", () => {
  expect([
    energyToKcal(300, "kcal"),
    energyToKcal(41.84, "kJ"), // 41.84 / 4.184 = 10
    energyToKcal(300, "Cal"),
    energyToKcal(1500, "cal"),
    energyToKcal(300, "km"),
    distanceToKm(4.21, "km"),
    distanceToKm(1500, "m"),
    distanceToKm(2, "mi"),
    distanceToKm(2, "kcal"),
    distanceToKm(2, "constructor"),
  ]).toEqual([300, 10, 300, 1.5, undefined, 4.21, 1.5, 3.218688, undefined, undefined]);
});
