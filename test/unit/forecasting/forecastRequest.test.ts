import { describe, expect, it } from 'vitest';
import { forecastJsonLine, forecastRequest } from '../../../src/core/forecasting/forecastRequest.ts';
import { seasonalSeries } from './simulate.ts';

const y = seasonalSeries({ n: 24 * 10, m: 24, noise: 1, seed: 7 });

function parse(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
}

describe('forecast JSONL contract', () => {
  it('answers with id, point, lo, hi first, h numbers each', () => {
    const { output, ok } = forecastJsonLine(JSON.stringify({ id: 'svc-1', h: 48, m: 24, y }));
    expect(ok).toBe(true);
    const answer = parse(output);
    expect(Object.keys(answer).slice(0, 4)).toEqual(['id', 'point', 'lo', 'hi']);
    expect(answer.id).toBe('svc-1');
    for (const key of ['point', 'lo', 'hi']) {
      const values = answer[key] as unknown[];
      expect(values).toHaveLength(48);
      expect(values.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
    }
    expect(typeof answer.method).toBe('string');
  });

  it.each([42, 'abc', { tenant: 'a', n: 1 }, [1, 'x'], null, true])(
    'echoes id %j with its JSON type',
    (id) => {
      const answer = parse(forecastJsonLine(JSON.stringify({ id, h: 3, m: 24, y })).output);
      expect(answer.id).toEqual(id);
    },
  );

  it('defaults m to 1 and accepts nulls and numeric strings in y', () => {
    const answer = forecastRequest({ id: 1, h: 2, y: ['1', 2, null, 4, 5, 6, 7, 8] });
    expect('point' in answer && answer.point).toHaveLength(2);
    expect('note' in answer && answer.note).toBe('1 missing values interpolated');
  });

  it('rounds a fractional season length', () => {
    const pattern = [1, 5, 2, 8];
    const series = Array.from({ length: 40 }, (_, t) => pattern[t % 4] ?? 0);
    const answer = forecastRequest({ id: 'f', h: 4, m: 4.2, y: series });
    expect('point' in answer && answer.point.map((v) => Math.round(v * 1e6) / 1e6)).toEqual(pattern);
  });

  it('answers malformed lines with an error and the id when known', () => {
    const notJson = forecastJsonLine('{"id": 1, "h": ');
    expect(notJson.ok).toBe(false);
    expect(parse(notJson.output)).toEqual({ error: expect.stringMatching(/^invalid JSON/) as unknown });

    const badHorizon = parse(forecastJsonLine(JSON.stringify({ id: 'x', h: -1, m: 24, y })).output);
    expect(badHorizon.id).toBe('x');
    expect(badHorizon.error).toMatch(/h: /);
    expect(badHorizon).not.toHaveProperty('point');

    const missingY = parse(forecastJsonLine(JSON.stringify({ id: 5, h: 3 })).output);
    expect(missingY).toEqual({ id: 5, error: expect.stringMatching(/y: /) as unknown });

    const notObject = parse(forecastJsonLine('[1,2,3]').output);
    expect(notObject).not.toHaveProperty('id');
    expect(typeof notObject.error).toBe('string');

    const empty = parse(forecastJsonLine(JSON.stringify({ id: 9, h: 3, y: [null] })).output);
    expect(empty).toEqual({ id: 9, error: expect.stringMatching(/at least one finite number/) as unknown });
  });

  it('reports the too-short note on the line', () => {
    const answer = parse(forecastJsonLine(JSON.stringify({ id: 1, h: 5, m: 24, y: [1, 2, 3] })).output);
    expect(answer.note).toMatch(/^history too short/);
    expect(answer.point).toHaveLength(5);
  });
});
