// avsc with the block-count guard: impossible counts fail at once, every valid body decodes as before.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { guardAvroBlockCounts } from '../../../src/adapters/registry/avroBlockGuard.ts';
import { simulateExecution, simulateWorkflows } from '../../../src/core/demo/executionSimulator.ts';
import { seededRandom } from '../../../src/core/seededRandom.ts';

guardAvroBlockCounts();
const schemasDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'schemas');
const typeOf = (file: string): avro.Type =>
  avro.Type.forSchema(JSON.parse(readFileSync(path.join(schemasDir, file), 'utf8')) as avro.Schema);

/**
 * 2^20 as an Avro zigzag varint: small enough that unguarded avsc finishes (it walks a million
 * entries past the end, then says 'truncated buffer'), so this test fails rather than hangs
 * without the guard; 2^31 held avsc for minutes.
 */
const HUGE_COUNT = Buffer.from([0x80, 0x80, 0x80, 0x01]);

describe('guardAvroBlockCounts', () => {
  it('refuses a map count that cannot fit in the body instead of looping on it', () => {
    const type = typeOf('workflow.executions.v1.avsc');
    // A run's first event (WORKFLOW_STARTED) ends with its empty attributes map.
    const [workflow] = simulateWorkflows({ tenants: 1, workflows: 1, seed: 1 });
    const [event] =
      workflow === undefined ? [] : simulateExecution(workflow, 'run', 1764115200000, seededRandom(1));
    expect(event?.attributes).toEqual({});
    const body = type.toBuffer(event);
    // The last byte is the attributes map's end (count 0): make it a block of 2^20 entries.
    const hostile = Buffer.concat([body.subarray(0, -1), HUGE_COUNT]);
    expect((): unknown => type.fromBuffer(hostile)).toThrow(/block of 1048576 entries cannot fit/);
  });

  it('refuses an array count that cannot fit, and still reads zero-byte items', () => {
    const longs = avro.Type.forSchema({ type: 'array', items: 'long' });
    expect((): unknown => longs.fromBuffer(Buffer.concat([HUGE_COUNT, Buffer.from([2, 0])]))).toThrow(
      /cannot fit/,
    );
    // Nulls take no bytes: a block of five is five bytes shorter than its count, and valid.
    const nulls = avro.Type.forSchema({ type: 'array', items: 'null' });
    expect(nulls.fromBuffer(nulls.toBuffer([null, null, null, null, null]))).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('reads blocks that carry their byte size (a negative count), as other writers send them', () => {
    const map = avro.Type.forSchema({ type: 'map', values: 'string' });
    // count -2 (zigzag 3), byte size 8 (zigzag 16), "a"→"x", "b"→"y", end of map
    const body = Buffer.from([3, 16, 2, 0x61, 2, 0x78, 2, 0x62, 2, 0x79, 0]);
    expect(map.fromBuffer(body)).toEqual({ a: 'x', b: 'y' });
  });

  it('decodes random values of every contract schema exactly as they were written', () => {
    const files = readdirSync(schemasDir).filter((f) => f.endsWith('.avsc'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const type = typeOf(file);
      for (let i = 0; i < 300; i++) {
        const value: unknown = type.random();
        const bytes = type.toBuffer(value);
        const decoded: unknown = type.fromBuffer(bytes);
        expect(type.isValid(decoded), file).toBe(true);
        expect(type.toBuffer(decoded).equals(bytes), file).toBe(true);
      }
    }
  });
});
