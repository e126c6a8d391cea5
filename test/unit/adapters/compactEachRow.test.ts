import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactEachRow } from '../../../src/adapters/clickhouse/compactEachRow.ts';
import { NonRetriableError } from '../../../src/errors.ts';

describe('compactEachRow', () => {
  it('names the columns after the first row and writes each row as one JSON array line', () => {
    const { columns, values } = compactEachRow([
      { a: 1, b: 'x\ny', c: null, m: { k: 'v' } },
      { a: 2, b: 'z', c: true, m: {} },
    ]);
    expect(columns).toEqual(['a', 'b', 'c', 'm']);
    expect(values.toString('utf8')).toBe('[1,"x\\ny",null,{"k":"v"}]\n[2,"z",true,{}]');
  });

  it('puts values in the first row’s column order whatever order later rows list their keys in', () => {
    const { values } = compactEachRow([
      { a: 1, b: 2 },
      { b: 4, a: 3 },
    ]);
    expect(values.toString('utf8')).toBe('[1,2]\n[3,4]');
  });

  it('refuses a row with a missing or an extra field instead of padding it', () => {
    expect(() => compactEachRow([{ a: 1, b: 2 }, { a: 1 }])).toThrow(NonRetriableError);
    expect(() => compactEachRow([{ a: 1 }, { a: 1, b: 2 }])).toThrow(NonRetriableError);
    expect(() =>
      compactEachRow([
        { a: 1, b: 2 },
        { a: 1, c: 2 },
      ]),
    ).toThrow(NonRetriableError);
  });

  it('round-trips: every line parses back to the row’s values', () => {
    const row = fc.record({
      id: fc.string(),
      n: fc.integer(),
      maybe: fc.option(fc.string(), { nil: null }),
      attrs: fc.dictionary(fc.string(), fc.string()),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const { columns, values } = compactEachRow(rows);
        const lines = values.toString('utf8').split('\n');
        expect(lines).toHaveLength(rows.length);
        lines.forEach((line, i) => {
          const parsed = JSON.parse(line) as unknown[];
          expect(Object.fromEntries(columns.map((c, j) => [c, parsed[j]]))).toEqual(rows[i]);
        });
      }),
    );
  });
});
