// Metric names Health Auto Export sends (its wiki's list plus names seen in real exports); anything
// else is reported as unknown: a typo, a newer app version, or not an HAE file at all.
export const KNOWN_METRICS: ReadonlySet<string> = new Set(
  `active_energy apple_exercise_time apple_move_time apple_sleeping_wrist_temperature apple_stand_hour
  apple_stand_time apple_walking_steadiness atrial_fibrillation_burden basal_energy_burned biotin
  blood_alcohol_content blood_glucose blood_oxygen_saturation blood_pressure body_fat_percentage body_mass_index
  body_temperature breathing_disturbances caffeine calcium carbohydrates cardio_recovery chloride cholesterol
  chromium copper cycling_cadence cycling_distance cycling_functional_threshold_power cycling_power cycling_speed
  dietary_biotin dietary_caffeine dietary_energy dietary_sugar dietary_water distance_downhill_snow_sports
  electrodermal_activity environmental_audio_exposure fiber flights_climbed folate handwashing
  headphone_audio_exposure heart_rate heart_rate_variability height inhaler_usage insulin_delivery iodine iron
  lean_body_mass magnesium manganese mindful_minutes molybdenum monounsaturated_fat niacin
  number_of_alcoholic_beverages number_of_times_fallen pantothenic_acid peak_expiratory_flow_rate
  peripheral_perfusion_index phosphorus physical_effort polyunsaturated_fat potassium protein push_count
  respiratory_rate resting_energy resting_heart_rate riboflavin running_ground_contact_time running_power
  running_speed running_stride_length running_vertical_oscillation saturated_fat selenium sexual_activity
  six_minute_walking_test_distance sleep_analysis sodium stair_speed_down stair_speed_up step_count
  swimming_distance swimming_stroke_count thiamin time_in_daylight toothbrushing total_fat underwater_depth
  uv_exposure vitamin_a vitamin_b12 vitamin_b6 vitamin_c vitamin_d vitamin_e vitamin_k vo2_max waist_circumference
  walking_asymmetry_percentage walking_double_support_percentage walking_heart_rate_average
  walking_running_distance walking_speed walking_step_length water_temperature weight_body_mass
  wheelchair_distance zinc`.split(/\s+/),
);
