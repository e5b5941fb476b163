/**
 * A latency histogram with ~2% relative precision: mergeable across load-generator processes
 * (buckets add up), so percentiles are exact to the bucket over every delivery, not averaged.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1000; // 1 µs … ~400 s

export type Histogram = { counts: number[]; n: number; max: number; sum: number };

export function newHistogram(): Histogram {
  return { counts: new Array(BUCKETS).fill(0), n: 0, max: 0, sum: 0 };
}

export function record(h: Histogram, micros: number) {
  const v = Math.max(micros, 1);
  const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) / LOG_GROWTH));
  h.counts[i] += 1;
  h.n += 1;
  h.sum += v;
  if (v > h.max) h.max = v;
}

export function merge(into: Histogram, from: Histogram) {
  for (let i = 0; i < BUCKETS; i++) into.counts[i] += from.counts[i];
  into.n += from.n;
  into.sum += from.sum;
  into.max = Math.max(into.max, from.max);
}

/** The upper edge of the bucket holding the q-quantile, in ms (capped at the observed max). */
export function quantileMs(h: Histogram, q: number): number | null {
  if (h.n === 0) return null;
  const rank = Math.ceil(q * h.n);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h.counts[i];
    if (seen >= rank) return Math.min(GROWTH ** (i + 1), h.max) / 1000;
  }
  return h.max / 1000;
}

export function summary(h: Histogram) {
  const r = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    p50: r(quantileMs(h, 0.5)),
    p95: r(quantileMs(h, 0.95)),
    p99: r(quantileMs(h, 0.99)),
    max: r(h.n ? h.max / 1000 : null),
    mean: r(h.n ? h.sum / h.n / 1000 : null),
    n: h.n,
  };
}

/** Microseconds on CLOCK_MONOTONIC: the same clock in every process of this machine. */
export const monoMicros = () => Number(process.hrtime.bigint() / 1000n);
