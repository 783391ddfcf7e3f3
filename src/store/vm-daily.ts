// Store.daily on VictoriaMetrics: zone seconds and gauge means per local day, from quarter-hour range queries.
// Local days start on a quarter hour in every zone (offsets are multiples of 15 min), so a day is a whole number of
// quarters; the evaluation at t covers the seconds t−899..t, which the counter scheme (vm.ts) makes exact.
import { emptyZoneSeconds, ZONES } from "../transform/zones";
import { DAILY_GAUGES, type DayValues, type LocalDay } from "./store";
import type { VmClient } from "./vm-client";

const QUARTER_S = 900;
/** VM answers at most -search.maxPointsPerTimeseries (30,000) points per series: ask in chunks below that. */
const QUARTERS_PER_QUERY = 20_000;

export async function vmDaily(vm: VmClient, user: string, days: readonly LocalDay[]): Promise<DayValues[]> {
  const out = days.map((day) => ({ date: day.date, zone_seconds: emptyZoneSeconds(), rhr: null as number | null, hrv: null as number | null }));
  if (!days.length) return out;
  const sums = days.map(() => ({ rhr: [0, 0], hrv: [0, 0] }));
  const w = `[${QUARTER_S}s]`;
  const gauge = (key: keyof typeof DAILY_GAUGES) => {
    const sel = `${DAILY_GAUGES[key]}{user="${user}"}`;
    return `label_set(sum(sum_over_time(${sel}${w})), "k", "${key}_sum") or label_set(sum(count_over_time(${sel}${w})), "k", "${key}_count")`;
  };
  const first = days[0]!.start;
  const last = days.at(-1)!.end;
  let day = 0;
  const dayOf = (quarterStart: number) => {
    // evaluations come in time order per series, but each series restarts: search from the front when needed
    if (quarterStart < days[day]!.start) day = 0;
    while (day < days.length - 1 && quarterStart >= days[day]!.end) day++;
    return day;
  };
  for (let from = first; from < last; from += QUARTERS_PER_QUERY * QUARTER_S) {
    const to = Math.min(last, from + QUARTERS_PER_QUERY * QUARTER_S);
    // an evaluation at t covers t−899..t: the first quarter [from, from + 900) is evaluated at from + 899
    // one query at a time: this runs inside deliveries, and a VM limited in concurrent searches refuses a second
    const zones = await vm.queryRange(`sum by (zone) (increase(zone_seconds_total{user="${user}"}${w}))`, from + QUARTER_S - 1, to - 1, QUARTER_S);
    const gauges = await vm.queryRange(`${gauge("rhr")} or ${gauge("hrv")}`, from + QUARTER_S - 1, to - 1, QUARTER_S);
    for (const series of zones) {
      const zone = series.metric.zone as (typeof ZONES)[number];
      if (!ZONES.includes(zone)) continue;
      for (const [t, v] of series.values) out[dayOf(t - QUARTER_S + 1)]!.zone_seconds[zone] += Number(v);
    }
    for (const series of gauges) {
      const [key, part] = (series.metric.k ?? "").split("_") as ["rhr" | "hrv", "sum" | "count"];
      if (!(key in DAILY_GAUGES)) continue;
      for (const [t, v] of series.values) sums[dayOf(t - QUARTER_S + 1)]![key][part === "sum" ? 0 : 1]! += Number(v);
    }
  }
  return out.map((d, i) => {
    for (const zone of ZONES) d.zone_seconds[zone] = round(d.zone_seconds[zone]);
    const { rhr, hrv } = sums[i]!;
    return { ...d, rhr: rhr[1]! ? round(rhr[0]! / rhr[1]!) : null, hrv: hrv[1]! ? round(hrv[0]! / hrv[1]!) : null };
  });
}

const round = (n: number) => Math.round(n * 1000) / 1000;
