// Latency samples and counters for the fleet simulator and the benchmarks.

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class Latencies {
  private samples: number[] = [];
  add(ms: number) {
    this.samples.push(ms);
  }
  get count() {
    return this.samples.length;
  }
  summary(): LatencySummary {
    const s = Float64Array.from(this.samples).sort();
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      count: s.length,
      p50: r(percentile(s as unknown as number[], 50)),
      p90: r(percentile(s as unknown as number[], 90)),
      p99: r(percentile(s as unknown as number[], 99)),
      max: r(s.length ? s[s.length - 1]! : 0),
    };
  }
}

/** error messages counted by kind, so a summary shows what went wrong and how often */
export class ErrorCounts {
  readonly byMessage = new Map<string, number>();
  total = 0;
  add(e: unknown) {
    this.total++;
    const m = ((e as Error)?.message ?? String(e)).replace(/\/\d+\//g, '/N/').slice(0, 160);
    this.byMessage.set(m, (this.byMessage.get(m) ?? 0) + 1);
  }
  top(n = 5): { message: string; count: number }[] {
    return [...this.byMessage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([message, count]) => ({ message, count }));
  }
}
