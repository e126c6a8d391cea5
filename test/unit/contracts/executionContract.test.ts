// The Avro schema (schemas/) is the contract; the zod schema mirrors it. These tests keep them in
// step and pin down schema evolution.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { executionEventSchema, validateExecutionEvent } from '../../../src/core/executionEvent.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const v1Json = JSON.parse(
  readFileSync(path.join(root, 'schemas/workflow.executions.v1.avsc'), 'utf8'),
) as avro.Schema;
const v2Json = JSON.parse(
  readFileSync(path.join(root, 'schemas/workflow.executions.v2.avsc'), 'utf8'),
) as avro.Schema;
const v1 = avro.Type.forSchema(v1Json);
const v2 = avro.Type.forSchema(v2Json);
const fixtures = JSON.parse(
  readFileSync(path.join(root, 'test/fixtures/execution-events.json'), 'utf8'),
) as unknown[];

// avsc represents unions of null and one type as the bare value, so fixtures map 1:1.
describe('execution event contract', () => {
  it('has the same fields in Avro and zod', () => {
    const avroFields = (v1Json as { fields: { name: string }[] }).fields.map((f) => f.name).sort();
    const zodFields = Object.keys(executionEventSchema.shape).sort();
    expect(zodFields).toEqual(avroFields);
  });

  it.each(fixtures.map((f, i) => [i, f]))(
    'fixture %i round-trips through Avro and validates with zod',
    (_i, fixture) => {
      const parsed = validateExecutionEvent(fixture);
      expect(parsed.ok).toBe(true);
      const decoded: unknown = v1.fromBuffer(v1.toBuffer(fixture));
      expect(validateExecutionEvent(decoded)).toEqual(parsed);
      expect(JSON.parse(JSON.stringify(decoded))).toEqual(fixture);
    },
  );

  it('rejects what Avro would reject, naming the field', () => {
    const bad = { ...(fixtures[1] as object), workflowVersion: 'three', error: null };
    expect(v1.isValid(bad)).toBe(false);
    const result = validateExecutionEvent(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path).sort()).toEqual(['error', 'workflowVersion']);
  });

  it('reads v2 records (new optional field) with the v1 schema', () => {
    const withRegion = { ...(fixtures[2] as object), region: 'eu-west-1' };
    const bytes = v2.toBuffer(withRegion);
    const asV1 = v1.fromBuffer(bytes, v1.createResolver(v2)) as Record<string, unknown>;
    expect(asV1).not.toHaveProperty('region');
    expect(validateExecutionEvent(asV1).ok).toBe(true);
    expect(asV1.eventId).toBe((fixtures[2] as { eventId: string }).eventId);
  });

  it('reads v1 records with the v2 schema, region defaulting to null', () => {
    const bytes = v1.toBuffer(fixtures[0]);
    const asV2 = v2.fromBuffer(bytes, v2.createResolver(v1)) as Record<string, unknown>;
    expect(asV2.region).toBeNull();
  });
});
