import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareChunk } from '../src/pipeline/loaderDefinition.ts';
import { archiveLoader } from './archiveLoader.ts';

const fixtures = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '..', 'test/fixtures/execution-events.json'), 'utf8'),
) as Record<string, unknown>[];

describe('archive loader pipeline', () => {
  it('turns valid events into rows and rejects invalid ones with their reasons', () => {
    const prepared = prepareChunk(archiveLoader, 4, [
      { offset: '10', decoded: fixtures[0] },
      { offset: '11', decoded: { ...fixtures[1], stepId: null } },
      {
        offset: '12',
        decodeError: {
          errorClass: 'DecodeError',
          reason: 'unknown-schema-id',
          message: 'schema id 999 is not in the registry',
        },
      },
      { offset: '13', decoded: fixtures[2] },
    ]);
    expect(prepared.rows.map((r) => [r.event_id, r.source_partition, r.source_offset])).toEqual([
      [fixtures[0]?.eventId, 4, '10'],
      [fixtures[2]?.eventId, 4, '13'],
    ]);
    expect(prepared.rows[0]?.occurred_at).toBe('2025-11-26T00:00:00.000Z');
    expect(prepared.rejected).toEqual([
      expect.objectContaining({ offset: '11', stage: 'validate', reason: 'stepId' }),
      expect.objectContaining({ offset: '12', stage: 'decode', reason: 'unknown-schema-id' }),
    ]);
  });

  it('maps the error of a failed step into flat columns', () => {
    const prepared = prepareChunk(archiveLoader, 0, [{ offset: '1', decoded: fixtures[1] }]);
    expect(prepared.rows[0]).toMatchObject({
      error_class: 'rate_limit',
      error_code: 'ratelimited',
      error_http_status: 429,
      error_retryable: true,
      service: 'slack',
    });
  });
});
