// HealthKit identifiers of the Health app's export → the metric names and units Health Auto Export uses, so
// both paths write the same `hae_<name>` gauges. Table in README ("Importing the Health app's export").

export type QuantityKind =
  /** A reading at an instant (resting HR, VO2 max, body mass …): one gauge point per record. */
  | "gauge"
  /** A fraction written with unit "%" (0.96): HAE sends percent (96). */
  | "percent"
  /** Counted over time (steps, energy, distance …): hourly totals, one source per hour. */
  | "cumulative";

export interface QuantityType {
  name: string;
  kind: QuantityKind;
  /** What the value is converted to, when HAE uses one unit whatever the phone's settings. */
  convert?: "kcal" | "km";
}

const Q = "HKQuantityTypeIdentifier";

export const QUANTITY_TYPES: Record<string, QuantityType> = {
  [`${Q}RestingHeartRate`]: { name: "resting_heart_rate", kind: "gauge" },
  [`${Q}WalkingHeartRateAverage`]: { name: "walking_heart_rate_average", kind: "gauge" },
  [`${Q}HeartRateVariabilitySDNN`]: { name: "heart_rate_variability", kind: "gauge" },
  [`${Q}HeartRateRecoveryOneMinute`]: { name: "cardio_recovery", kind: "gauge" },
  [`${Q}VO2Max`]: { name: "vo2_max", kind: "gauge" },
  [`${Q}RespiratoryRate`]: { name: "respiratory_rate", kind: "gauge" },
  [`${Q}OxygenSaturation`]: { name: "blood_oxygen_saturation", kind: "percent" },
  [`${Q}BodyMass`]: { name: "weight_body_mass", kind: "gauge" },
  [`${Q}BodyMassIndex`]: { name: "body_mass_index", kind: "gauge" },
  [`${Q}BodyFatPercentage`]: { name: "body_fat_percentage", kind: "percent" },
  [`${Q}LeanBodyMass`]: { name: "lean_body_mass", kind: "gauge" },
  [`${Q}WalkingSpeed`]: { name: "walking_speed", kind: "gauge" },
  [`${Q}WalkingStepLength`]: { name: "walking_step_length", kind: "gauge" },
  [`${Q}WalkingAsymmetryPercentage`]: { name: "walking_asymmetry_percentage", kind: "percent" },
  [`${Q}WalkingDoubleSupportPercentage`]: { name: "walking_double_support_percentage", kind: "percent" },
  [`${Q}AppleWalkingSteadiness`]: { name: "apple_walking_steadiness", kind: "percent" },
  [`${Q}SixMinuteWalkTestDistance`]: { name: "six_minute_walking_test_distance", kind: "gauge" },
  [`${Q}StairAscentSpeed`]: { name: "stair_speed_up", kind: "gauge" },
  [`${Q}StairDescentSpeed`]: { name: "stair_speed_down", kind: "gauge" },
  [`${Q}AppleSleepingWristTemperature`]: { name: "apple_sleeping_wrist_temperature", kind: "gauge" },
  [`${Q}BodyTemperature`]: { name: "body_temperature", kind: "gauge" },
  [`${Q}BloodGlucose`]: { name: "blood_glucose", kind: "gauge" },
  [`${Q}BloodPressureSystolic`]: { name: "blood_pressure_systolic", kind: "gauge" },
  [`${Q}BloodPressureDiastolic`]: { name: "blood_pressure_diastolic", kind: "gauge" },
  [`${Q}HeadphoneAudioExposure`]: { name: "headphone_audio_exposure", kind: "gauge" },
  [`${Q}EnvironmentalAudioExposure`]: { name: "environmental_audio_exposure", kind: "gauge" },
  [`${Q}PhysicalEffort`]: { name: "physical_effort", kind: "gauge" },
  [`${Q}StepCount`]: { name: "step_count", kind: "cumulative" },
  [`${Q}DistanceWalkingRunning`]: { name: "walking_running_distance", kind: "cumulative", convert: "km" },
  [`${Q}DistanceCycling`]: { name: "cycling_distance", kind: "cumulative", convert: "km" },
  [`${Q}DistanceSwimming`]: { name: "swimming_distance", kind: "cumulative" },
  [`${Q}ActiveEnergyBurned`]: { name: "active_energy", kind: "cumulative", convert: "kcal" },
  [`${Q}BasalEnergyBurned`]: { name: "basal_energy_burned", kind: "cumulative", convert: "kcal" },
  [`${Q}FlightsClimbed`]: { name: "flights_climbed", kind: "cumulative" },
  [`${Q}AppleExerciseTime`]: { name: "apple_exercise_time", kind: "cumulative" },
  [`${Q}AppleStandTime`]: { name: "apple_stand_time", kind: "cumulative" },
  [`${Q}TimeInDaylight`]: { name: "time_in_daylight", kind: "cumulative" },
};

/** A quantity not in the table: a gauge named after its identifier (HKQuantityTypeIdentifierDietaryWater → dietary_water). */
export function quantityType(identifier: string): QuantityType | null {
  const known = QUANTITY_TYPES[identifier];
  if (known) return known;
  if (!identifier.startsWith(Q) || identifier.length === Q.length) return null;
  const name = identifier
    .slice(Q.length)
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 100);
  return { name, kind: "gauge" };
}

/** HKCategoryValueSleepAnalysis* of every iOS generation (and the raw numbers 0–5). */
export const SLEEP_VALUES: Record<string, "in_bed" | "asleep" | "awake" | "core" | "deep" | "rem"> = {
  HKCategoryValueSleepAnalysisInBed: "in_bed",
  HKCategoryValueSleepAnalysisAsleep: "asleep",
  HKCategoryValueSleepAnalysisAsleepUnspecified: "asleep",
  HKCategoryValueSleepAnalysisAwake: "awake",
  HKCategoryValueSleepAnalysisAsleepCore: "core",
  HKCategoryValueSleepAnalysisAsleepDeep: "deep",
  HKCategoryValueSleepAnalysisAsleepREM: "rem",
  "0": "in_bed",
  "1": "asleep",
  "2": "awake",
  "3": "core",
  "4": "deep",
  "5": "rem",
};

/** HKWorkoutActivityTypeTraditionalStrengthTraining → "Traditional Strength Training" (HAE's spelling). */
export function workoutName(activityType: string): string {
  const bare = activityType.replace(/^HKWorkoutActivityType/, "") || "Other";
  return bare.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
}
