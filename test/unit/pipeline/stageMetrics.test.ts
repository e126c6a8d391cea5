import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../../src/adapters/clickhouse/migrations.ts';
import { StageMetrics } from '../../../src/pipeline/stageMetrics.ts';

describe('StageMetrics', () => {
  it('renders counters and gauges in the Prometheus text format, labels escaped', () => {
    const m = new StageMetrics('metrics-processor');
    m.add('inputs_total', 5);
    m.add('inputs_total', 2);
    m.set('lag', 3, { partition: '0' });
    m.set('lag', 9, { partition: '1' });
    m.add('invalid_inputs_total', 1, { reason: 'say "hi"\\' });
    expect(m.render().split('\n')).toEqual([
      '# TYPE pulse_inputs_total counter',
      'pulse_inputs_total{stage="metrics-processor"} 7',
      '# TYPE pulse_lag gauge',
      'pulse_lag{stage="metrics-processor",partition="0"} 3',
      'pulse_lag{stage="metrics-processor",partition="1"} 9',
      '# TYPE pulse_invalid_inputs_total counter',
      'pulse_invalid_inputs_total{stage="metrics-processor",reason="say \\"hi\\"\\\\"} 1',
      '',
    ]);
    expect(m.value('lag', { partition: '1' })).toBe(9);
  });
});

describe('migration statements', () => {
  it('splits on statement-ending semicolons and drops comment lines', () => {
    const sql = [
      '-- a table',
      "CREATE TABLE t (a String DEFAULT 'x;y')",
      'ENGINE = MergeTree ORDER BY a;',
      '',
      '-- a view; with a semicolon in the comment',
      'CREATE VIEW v AS SELECT * FROM t;',
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE t (a String DEFAULT 'x;y')\nENGINE = MergeTree ORDER BY a",
      'CREATE VIEW v AS SELECT * FROM t',
    ]);
  });
});
