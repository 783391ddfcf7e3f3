// A tiny Prometheus registry: counters, gauges and histograms rendered in the text exposition format 0.0.4.
// Label values are the caller's to bound: only route templates, status classes, users and devices from the config.

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

/** `{a="x",b="y"}` with the format's escapes (backslash, quote, newline), or "" without labels. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

const helpText = (help: string) => help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

abstract class Metric<L extends string> {
  protected readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`);
  }
  abstract readonly type: "counter" | "gauge";

  protected slot(labels: Partial<Record<L, string>>) {
    const ordered: Labels = {};
    for (const name of this.labelNames) ordered[name] = labels[name] ?? "";
    const key = JSON.stringify(ordered);
    let held = this.series.get(key);
    if (!held) this.series.set(key, (held = { labels: ordered, value: 0 }));
    return held;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${helpText(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) lines.push(`${this.name}${labelText(labels)} ${number(value)}`);
    return lines.join("\n");
  }
}

export class Counter<L extends string = never> extends Metric<L> {
  readonly type = "counter";
  inc(labels: Partial<Record<L, string>> = {}, by = 1) {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (got ${by})`);
    this.slot(labels).value += by;
  }
  /** A total kept elsewhere (the kernel's CPU time): only ever moves forward. */
  setTotal(labels: Partial<Record<L, string>>, total: number) {
    const held = this.slot(labels);
    held.value = Math.max(held.value, total);
  }
  get(labels: Partial<Record<L, string>> = {}): number {
    return this.slot(labels).value;
  }
}

export class Gauge<L extends string = never> extends Metric<L> {
  readonly type = "gauge";
  set(labels: Partial<Record<L, string>>, value: number) {
    this.slot(labels).value = value;
  }
  /** Forgets every series (a scrape-time gauge is set afresh each time, so a removed user disappears). */
  reset() {
    this.series.clear();
  }
}

export class Histogram<L extends string = never> {
  readonly type = "histogram";
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    readonly labelNames: readonly L[] = [],
  ) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`${name}: buckets must increase`);
  }

  observe(value: number, labels: Partial<Record<L, string>> = {}) {
    const ordered: Labels = {};
    for (const name of this.labelNames) ordered[name] = labels[name] ?? "";
    const key = JSON.stringify(ordered);
    let held = this.series.get(key);
    if (!held) this.series.set(key, (held = { labels: ordered, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) held.counts[i]!++;
    held.sum += value;
    held.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${helpText(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => lines.push(`${this.name}_bucket${labelText({ ...labels, le: number(bound) })} ${counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${number(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join("\n");
  }
}

type Renderable = { name: string; render(): string };

export class Registry {
  private readonly metrics: Renderable[] = [];
  private readonly collectors: (() => void | Promise<void>)[] = [];

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.add(new Counter<L>(name, help, labelNames));
  }
  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.add(new Gauge<L>(name, help, labelNames));
  }
  histogram<L extends string = never>(name: string, help: string, buckets: readonly number[], labelNames: readonly L[] = []): Histogram<L> {
    return this.add(new Histogram<L>(name, help, buckets, labelNames));
  }

  /** Runs before every render: where gauges read at scrape time (RSS, backlog, last sync) are set. */
  onCollect(collect: () => void | Promise<void>) {
    this.collectors.push(collect);
  }

  async render(): Promise<string> {
    for (const collect of this.collectors) await collect();
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }

  private add<M extends Renderable>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }
}
