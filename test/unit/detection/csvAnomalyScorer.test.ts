import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectCsv } from '../../../src/cli/commands/detectCommand.ts';
import {
  CsvAnomalyScorer,
  formatScore,
  parseCsvTimestamp,
} from '../../../src/core/detection/csvAnomalyScorer.ts';
import { ValidationError } from '../../../src/errors.ts';
import { noise } from './syntheticSeries.ts';

function csv(values: readonly number[]): string {
  const rows = values.map((v, i) => {
    const d = new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString();
    return `${d.slice(0, 10)} ${d.slice(11, 19)},${v}`;
  });
  return ['timestamp,value', ...rows].join('\n') + '\n';
}

async function detect(text: string): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  await detectCsv(Readable.from([text]), sink);
  return out;
}

describe('CSV anomaly scoring', () => {
  it('parses NAB timestamps as UTC and refuses impossible ones', () => {
    expect(parseCsvTimestamp('2014-04-01 00:05:00')).toBe(Date.UTC(2014, 3, 1, 0, 5));
    expect(parseCsvTimestamp('2011-07-11 04:00:01.000000')).toBe(Date.UTC(2011, 6, 11, 4, 0, 1));
    expect(parseCsvTimestamp('2014-02-30 00:00:00')).toBeNaN();
    expect(parseCsvTimestamp('2014-04-01')).toBeNaN();
  });

  it('echoes every row as given, in order, with a score in [0, 1]', async () => {
    const input = csv(noise(800, 9));
    const out = (await detect(input)).trimEnd().split('\n');
    const inLines = input.trimEnd().split('\n');
    expect(out[0]).toBe('timestamp,value,anomaly_score');
    expect(out).toHaveLength(inLines.length);
    for (let i = 1; i < out.length; i++) {
      const line = out[i] ?? '';
      const cut = line.lastIndexOf(',');
      expect(line.slice(0, cut)).toBe(inLines[i]);
      const score = Number(line.slice(cut + 1));
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same scores whatever the line ends, and skips blank lines', async () => {
    const input = csv(noise(300, 10));
    const crlf = input.replaceAll('\n', '\r\n') + '\r\n\n';
    expect(await detect(crlf)).toBe(await detect(input));
  });

  it('refuses a missing header or a bad row, naming the line', () => {
    expect(() => new CsvAnomalyScorer().push('2014-04-01 00:00:00,1')).toThrow(ValidationError);
    const scorer = new CsvAnomalyScorer();
    scorer.push('timestamp,value');
    expect(scorer.push('2014-04-01 00:00:00,20.5')).toBe('2014-04-01 00:00:00,20.5,0');
    expect(() => scorer.push('2014-04-01 00:05:00,abc')).toThrow(/line 3\.value/);
    expect(() => scorer.push('yesterday,1')).toThrow(/line 4\.timestamp/);
  });

  it('refuses an empty input', async () => {
    await expect(detect('')).rejects.toThrow(ValidationError);
  });

  it('prints scores with at most six decimals', () => {
    expect(formatScore(0.123456789)).toBe('0.123457');
    expect(formatScore(0)).toBe('0');
    expect(formatScore(1)).toBe('1');
  });
});
