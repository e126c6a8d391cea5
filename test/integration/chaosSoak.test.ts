// The short chaos soak (npm run soak runs the long one): two and a half minutes of load while the
// processors' process, the loaders' process, the broker, the registry and Redis are each killed
// and restarted, then every event is in ClickHouse exactly once and every metric window equals a
// crash-free fold of the same input. It runs on a stack of its own (ports 29092/28081/26379).
import { describe, expect, it } from 'vitest';
import { runChaosSoak } from '../../src/soak/chaosSoak.ts';
import { projectRoot, testLog } from './harness.ts';

describe('chaos soak', () => {
  it('loses and duplicates nothing while every part is killed and restarted', async () => {
    const report = await runChaosSoak({
      projectRoot,
      minutes: 2.5,
      rate: 500,
      seed: 3,
      killEverySeconds: [4, 8],
      log: testLog,
    });
    testLog.warn('chaos soak report', { module: 'test', ...report });
    for (const kills of Object.values(report.kills)) expect(kills).toBeGreaterThanOrEqual(1);
    expect(report.produced).toBeGreaterThan(10_000);
    expect(report.archive.rows).toBe(report.archive.topicRecords);
    expect(report.archive.distinctEvents).toBe(report.produced);
    expect(report.archive.visibleRows).toBe(report.produced);
    expect(report.windows.mismatched).toEqual([]);
    expect(report.windows.found).toBe(report.windows.expected);
    expect(report.windows.expected).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  }, 600_000);
});
