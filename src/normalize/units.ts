// HAE units follow the phone's unit settings; we store one unit per quantity so a settings
// change never splits a series. Unit strings arrive already JSON-decoded ("count/min").

export interface UnitValue {
  value: number;
  unit: string;
}

interface Conversion {
  unit: string;
  convert: (value: number) => number;
}

const KJ_PER_KCAL = 4.184;
const KM_PER_MI = 1.609344;
const KG_PER_LB = 0.45359237;
const ML_PER_FL_OZ_US = 29.5735295625;
const CM_PER_IN = 2.54;

const CONVERSIONS: Record<string, Conversion> = {
  kJ: { unit: "kcal", convert: (v) => v / KJ_PER_KCAL },
  mi: { unit: "km", convert: (v) => v * KM_PER_MI },
  "mi/hr": { unit: "km/hr", convert: (v) => v * KM_PER_MI },
  degF: { unit: "degC", convert: (v) => ((v - 32) * 5) / 9 },
  lb: { unit: "kg", convert: (v) => v * KG_PER_LB },
  fl_oz_us: { unit: "ml", convert: (v) => v * ML_PER_FL_OZ_US },
  in: { unit: "cm", convert: (v) => v * CM_PER_IN },
  // Beats (or breaths) per minute: one label, so `bpm` and `count/min` exports share a series.
  bpm: { unit: "count/min", convert: (v) => v },
};

/** A unit becomes a label: letters, digits and unit punctuation only, bounded in length. */
const MAX_UNIT_LENGTH = 32;
export function unitLabel(unit: string): string {
  return unit.replace(/[^\p{L}\p{N}/%.()·^_ -]/gu, "_").slice(0, MAX_UNIT_LENGTH);
}

/** Converts to the stored unit (kcal, km, km/hr, degC, kg, ml, cm, count/min); identity otherwise. */
export function normalizeUnit(value: number, unit: string): UnitValue {
  const conversion = Object.hasOwn(CONVERSIONS, unit) ? CONVERSIONS[unit] : undefined;
  return conversion ? { value: conversion.convert(value), unit: conversion.unit } : { value, unit: unitLabel(unit) };
}

const TO_KCAL: Record<string, (v: number) => number> = {
  kcal: (v) => v,
  Cal: (v) => v,
  kJ: (v) => v / KJ_PER_KCAL,
  cal: (v) => v / 1000,
  J: (v) => v / 1000 / KJ_PER_KCAL,
};
const TO_KM: Record<string, (v: number) => number> = {
  km: (v) => v,
  m: (v) => v / 1000,
  mi: (v) => v * KM_PER_MI,
  yd: (v) => v * 0.0009144,
  ft: (v) => v * 0.0003048,
};

/** Energy in kcal, or undefined for a unit that is not an energy unit. */
export function energyToKcal(value: number, unit: string): number | undefined {
  return Object.hasOwn(TO_KCAL, unit) ? TO_KCAL[unit]!(value) : undefined;
}

/** Distance in km, or undefined for a unit that is not a length unit. */
export function distanceToKm(value: number, unit: string): number | undefined {
  return Object.hasOwn(TO_KM, unit) ? TO_KM[unit]!(value) : undefined;
}
