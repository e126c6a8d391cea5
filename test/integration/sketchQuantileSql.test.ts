// The rollup views read quantiles from DDSketch buckets merged in SQL (sumMap +
// pulseSketchQuantile). They must agree with the TypeScript sketch the processor uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../src/adapters/clickhouse/clickhouseStore.ts';
import { migrate } from '../../src/adapters/clickhouse/migrations.ts';
import { DDSketch } from '../../src/core/metrics/ddSketch.ts';
import { sketchBuckets } from '../../src/core/metrics/metricsRow.ts';
import { seededRandom } from '../../src/core/seededRandom.ts';
import { configFrom, isolatedEnv, projectRoot } from './harness.ts';

function sqlMap(buckets: Record<string, number>): string {
  return `map(${Object.entries(buckets)
    .map(([k, v]) => `toInt32(${k}), toUInt64(${String(v)})`)
    .join(', ')})`;
}

describe('sketch quantiles in SQL', () => {
  let store: ClickHouseStore;
  beforeAll(async () => {
    store = await ClickHouseStore.open(configFrom(await isolatedEnv('sketch')), projectRoot);
    await migrate(store, projectRoot);
  });
  afterAll(async () => {
    await store.close();
  });

  it('pulseSketchQuantile over sumMap-merged buckets equals the merged DDSketch', async () => {
    const random = seededRandom(7);
    const a = new DDSketch();
    const b = new DDSketch();
    for (let i = 0; i < 5000; i++) a.add(Math.round(20 + 400 * -Math.log(random())));
    for (let i = 0; i < 3000; i++) b.add(Math.round(900 + 2000 * random()));
    b.add(0);
    const merged = a.clone();
    merged.merge(b);
    const ja = a.toJSON();
    const jb = b.toJSON();
    for (const q of [0.25, 0.5, 0.75, 0.9, 0.95]) {
      const [row] = await store.query<{ v: number }>(
        `SELECT pulseSketchQuantile(sumMap(bins), sum(zero), any(alpha), ${String(q)}) AS v FROM (
           SELECT ${sqlMap(sketchBuckets(ja))} AS bins, toUInt64(${String(ja.zeroCount)}) AS zero, ${String(ja.alpha)} AS alpha
           UNION ALL
           SELECT ${sqlMap(sketchBuckets(jb))}, toUInt64(${String(jb.zeroCount)}), ${String(jb.alpha)})`,
      );
      const expected = merged.quantile(q) ?? NaN;
      expect(Math.abs((row?.v ?? NaN) - expected) / expected, `q=${String(q)}`).toBeLessThan(1e-9);
    }
  });
});
