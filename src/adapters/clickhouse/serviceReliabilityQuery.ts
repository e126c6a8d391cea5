// Live reliability per service of a tenant, from the metrics the pipeline loaded: what workflow
// generation tunes retries, backoff and concurrency with (src/core/generation/serviceReliability.ts).
import type { ServiceReliability } from '../../core/generation/serviceReliability.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';

interface Row {
  service: string;
  executions: string | number;
  failures: string | number;
  cost: string | number;
  p95: number | null;
  errors: Record<string, string | number>;
  observed: string;
}

/** Step calls of each service of `tenantId` over the `windowHours` before `now` (epoch ms). */
export async function serviceReliability(
  reader: ClickHouseStore,
  database: string,
  tenantId: string,
  now: number,
  windowHours = 1,
): Promise<Map<string, ServiceReliability>> {
  const rows = await reader.query<Row>(
    `SELECT service, sum(executions) AS executions, sum(failures) AS failures, sum(cost_micros_sum) AS cost,
            pulseSketchQuantile(sumMap(duration_bins), sum(duration_zero_count), any(sketch_alpha), 0.95) AS p95,
            sumMap(error_classes) AS errors, toUnixTimestamp64Milli(max(window_end)) AS observed
     FROM ${database}.workflow_metrics_1m_v
     WHERE scope = 'service' AND tenant_id = {tenant:String}
       AND window_start >= fromUnixTimestamp64Milli({from:Int64}) AND window_start < fromUnixTimestamp64Milli({to:Int64})
     GROUP BY service`,
    { tenant: tenantId, from: now - windowHours * 3_600_000, to: now },
  );
  const out = new Map<string, ServiceReliability>();
  for (const r of rows) {
    const executions = Number(r.executions);
    const failures = Number(r.failures);
    if (executions <= 0) continue;
    const classes = Object.entries(r.errors).map(([c, n]) => [c, Number(n)] as const);
    const failed = classes.reduce((a, [, n]) => a + n, 0);
    out.set(r.service, {
      executions,
      failureRate: Math.min(1, failures / executions),
      p95Ms: r.p95 ?? 0,
      dominantErrorClasses: classes
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([c, n]) => ({ class: c, share: failed > 0 ? n / failed : 0 })),
      rateLimitShare: failed > 0 ? (classes.find(([c]) => c === 'rate_limit')?.[1] ?? 0) / failed : 0,
      windowHours,
      observedAt: Number(r.observed),
      costPerCallMicros: Number(r.cost) / executions,
    });
  }
  return out;
}
