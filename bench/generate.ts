// Generated Health Auto Export payloads for benchmarks: realistic shape, deterministic content.

function pad(n: number) {
  return String(n).padStart(2, "0");
}

/** HAE's date form in a fixed +0200 offset. */
export function haeDate(unix: number, offsetMin = 120): string {
  const d = new Date((unix + offsetMin * 60) * 1000);
  const sign = offsetMin >= 0 ? "+" : "-";
  const off = Math.abs(offsetMin);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`;
}

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** One year of per-minute heart rate, daily resting HR and steps, nightly sleep and ~300 workouts. */
export function yearOfData(endUnix: number, days = 365): { body: string; heartRatePoints: number } {
  const random = rng(1);
  const start = Math.floor((endUnix - days * 86400) / 86400) * 86400;
  const hr: string[] = [];
  for (let t = start; t < start + days * 86400; t += 60) {
    const hour = ((t % 86400) / 3600 + 2) % 24;
    const workout = hour >= 18 && hour < 19 && Math.floor(t / 86400) % 6 !== 0;
    const bpm = workout ? 125 + Math.round(random() * 50) : hour < 7 ? 50 + Math.round(random() * 8) : 65 + Math.round(random() * 20);
    hr.push(`{"date":"${haeDate(t)}","Min":${bpm},"Avg":${bpm},"Max":${bpm},"source":"Ana’s Apple Watch"}`);
  }
  const daily = (name: string, units: string, value: () => number) =>
    `{"name":"${name}","units":"${units}","data":[${Array.from({ length: days }, (_, d) => `{"date":"${haeDate(start + d * 86400 - 7200)}","qty":${value()},"source":"Ana’s Apple Watch"}`).join(",")}]}`;
  const sleep = `{"name":"sleep_analysis","units":"hr","data":[${Array.from({ length: days }, (_, d) => {
    const s = start + d * 86400 - 2 * 3600;
    return `{"date":"${haeDate(s + 8 * 3600).slice(0, 10)}","totalSleep":7.5,"asleep":0,"core":4,"deep":1.5,"rem":2,"awake":0.3,"sleepStart":"${haeDate(s)}","sleepEnd":"${haeDate(s + 7.8 * 3600)}","inBed":8,"inBedStart":"${haeDate(s - 600)}","inBedEnd":"${haeDate(s + 8 * 3600)}","source":"Ana’s Apple Watch"}`;
  }).join(",")}]}`;
  const workouts: string[] = [];
  for (let d = 0; d < days; d++) {
    if (d % 6 === 0) continue;
    const s = start + d * 86400 + 16 * 3600;
    workouts.push(
      `{"id":"W-${d}","name":"Outdoor Run","start":"${haeDate(s)}","end":"${haeDate(s + 3000)}","duration":3000,"distance":{"qty":8.2,"units":"km"},"activeEnergyBurned":{"qty":610,"units":"kcal"},"avgHeartRate":{"qty":150,"units":"bpm"},"maxHeartRate":{"qty":176,"units":"bpm"}}`,
    );
  }
  const body =
    `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${hr.join(",")}]},` +
    `${daily("resting_heart_rate", "count/min", () => 48 + Math.round(random() * 6))},${daily("step_count", "count", () => Math.round(4000 + random() * 9000))},${sleep}],` +
    `"workouts":[${workouts.join(",")}]}}`;
  return { body, heartRatePoints: hr.length };
}

/** A typical 5-minute sync: ~60 heart-rate points (one per 5 s) starting at `start`. */
export function smallSync(start: number, points = 60): string {
  const data = Array.from({ length: points }, (_, i) => {
    const bpm = 90 + ((i * 7) % 60);
    return `{"date":"${haeDate(start + 5 * i)}","Min":${bpm},"Avg":${bpm},"Max":${bpm},"source":"Ana’s Apple Watch"}`;
  });
  return `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${data.join(",")}]}]}}`;
}
