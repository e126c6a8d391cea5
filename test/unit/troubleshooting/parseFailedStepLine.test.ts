import { describe, expect, it } from 'vitest';
import { parseFailedStepLine } from '../../../src/core/troubleshooting/parseFailedStepLine.ts';

describe('parseFailedStepLine', () => {
  it('accepts the documented shape and ignores extra keys', () => {
    expect(
      parseFailedStepLine('{"service":"slack","log":"x","httpStatus":429,"class":"rate_limit"}', 1),
    ).toEqual({
      ok: true,
      step: { service: 'slack', log: 'x', httpStatus: 429 },
    });
  });

  it('tolerates a null status, a numeric string status and an object log', () => {
    expect(parseFailedStepLine('{"service":"a","log":"x","httpStatus":null}', 1)).toMatchObject({
      ok: true,
      step: { httpStatus: null },
    });
    expect(parseFailedStepLine('{"service":"a","log":"x","httpStatus":"503"}', 1)).toMatchObject({
      ok: true,
      step: { httpStatus: 503 },
    });
    expect(parseFailedStepLine('{"service":"a","log":{"ok":false,"error":"invalid_auth"}}', 1)).toMatchObject(
      {
        ok: true,
        step: { log: '{"ok":false,"error":"invalid_auth"}', httpStatus: null },
      },
    );
  });

  it('reports malformed lines with the line number and field path', () => {
    const notJson = parseFailedStepLine('{"service":', 7);
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error).toMatch(/^line 7: invalid JSON/);

    const badField = parseFailedStepLine('{"service":"a","httpStatus":"soon"}', 3);
    expect(badField.ok).toBe(false);
    if (!badField.ok) {
      expect(badField.error).toContain('line 3');
      expect(badField.error).toContain('log');
      expect(badField.error).toContain('httpStatus');
    }
  });
});
