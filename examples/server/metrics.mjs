// Just enough of the Prometheus text exposition format (version 0.0.4) for the example server:
// counters, gauges and histograms with labels. A real service might use prom-client instead;
// this keeps the example free of dependencies beyond Fastify.

/** Label values may hold any text: the format escapes backslash, double quote and newline. */
const escapeLabel = (value) => String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels) {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

/** Prometheus prints +Inf, -Inf and NaN by name; other numbers as JavaScript does. */
const formatValue = (value) =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);

const header = (name, help, type) =>
  `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;

/** A monotonically increasing count per label set. */
export class Counter {
  constructor(name, help) {
    this.name = name;
    this.help = help;
    this.series = new Map();
  }

  inc(labels = {}, amount = 1) {
    const key = labelText(labels);
    const series = this.series.get(key);
    if (series) series.value += amount;
    else this.series.set(key, { labels, value: amount });
  }

  render() {
    return renderSamples(this.name, this.help, 'counter', [...this.series.values()]);
  }
}

/** Observations counted into cumulative buckets (upper bounds, ascending), with their sum. */
export class Histogram {
  constructor(name, help, buckets) {
    this.name = name;
    this.help = help;
    this.buckets = [...buckets].sort((a, b) => a - b);
    this.series = new Map();
  }

  /** Records `value`, `times` times (a histogram rebuilt from counts observes each value once per count). */
  observe(value, labels = {}, times = 1) {
    const key = labelText(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const bucket = this.buckets.findIndex((bound) => value <= bound);
    if (bucket >= 0) series.counts[bucket] += times;
    series.sum += value * times;
    series.count += times;
  }

  render() {
    let text = header(this.name, this.help, 'histogram');
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += counts[i];
        text += `${this.name}_bucket${labelText({ ...labels, le: formatValue(bound) })} ${cumulative}\n`;
      });
      text += `${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}\n`;
      text += `${this.name}_sum${labelText(labels)} ${formatValue(sum)}\n`;
      text += `${this.name}_count${labelText(labels)} ${count}\n`;
    }
    return text;
  }
}

/**
 * A metric whose values are read at scrape time (a gauge, or a counter kept elsewhere such as the
 * predictor's stats): `samples` is a list of { labels, value }.
 */
export function renderSamples(name, help, type, samples) {
  let text = header(name, help, type);
  for (const { labels = {}, value } of samples) text += `${name}${labelText(labels)} ${formatValue(value)}\n`;
  return text;
}
