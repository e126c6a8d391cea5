// `npm run bench:decoder`: kafkajs's record decoder against Pulse's (src/adapters/kafka/
// recordDecoder.ts) on the same encoded records, in one process, alternating rounds. CPU only, no
// broker: the figure the consumers' fetch decoding saves per record, without the machine's noise.
// Records are shaped like the bench's execution events: a workflow key, a 150-byte value, no
// headers, deltas from one batch's first offset and timestamp.
//
// Usage: npm run bench:decoder -- [--records 2000] [--repeat 250] [--rounds 5] [--json]
import { createRequire } from 'node:module';
import { decodeRecord, type ProtocolDecoder, type RecordDecoder } from '../adapters/kafka/recordDecoder.ts';
import { flag, quantile } from './benchSupport.ts';

const require = createRequire(import.meta.url);
// Nothing in this process installs Pulse's decoder: this is kafkajs's own.
const kafkajsDecodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as RecordDecoder;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => ProtocolDecoder;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: object) => {
  buffer: Buffer;
};

const RECORDS = flag('records', 2000);
const REPEAT = flag('repeat', 250);
const ROUNDS = flag('rounds', 5);

const bodies = Array.from({ length: RECORDS }, (_, i) => {
  const encoded = encodeRecord({
    offsetDelta: i,
    timestampDelta: String(i * 3),
    key: Buffer.from(`workflow-${String(i % 200)}`),
    value: Buffer.alloc(150, i),
    headers: {},
  }).buffer;
  // What kafkajs's batch decoder hands the record decoder: the body after its length.
  const body = new Decoder(encoded).readVarIntBytes();
  if (body === null) throw new Error('bench: kafkajs encoded an empty record');
  return body;
});
const context = { firstOffset: '48213907', firstTimestamp: String(Date.now()), timestampType: 0 };

/** ns per record, each batch with its own context object as kafkajs makes one per batch. */
function nsPerRecord(decode: RecordDecoder): number {
  const started = process.hrtime.bigint();
  for (let r = 0; r < REPEAT; r++) {
    const batch = { ...context };
    for (const body of bodies) decode(new Decoder(body), batch);
  }
  return Number(process.hrtime.bigint() - started) / (REPEAT * RECORDS);
}

const kafkajs: number[] = [];
const pulse: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  kafkajs.push(nsPerRecord(kafkajsDecodeRecord));
  pulse.push(nsPerRecord(decodeRecord));
  process.stderr.write(
    `round ${round}: kafkajs ${kafkajs.at(-1)?.toFixed(0)} ns/record, Pulse ${pulse.at(-1)?.toFixed(0)} ns/record\n`,
  );
}
// The first round warms both up.
const median = (xs: number[]): number =>
  quantile(
    [...xs.slice(1)].sort((a, b) => a - b),
    0.5,
  );
const figures = {
  records: RECORDS * REPEAT,
  kafkajs_ns_per_record: Math.round(median(kafkajs)),
  pulse_ns_per_record: Math.round(median(pulse)),
  ratio: Number((median(pulse) / median(kafkajs)).toFixed(2)),
};
process.stderr.write(
  `median of rounds 2–${ROUNDS}: kafkajs ${figures.kafkajs_ns_per_record} ns/record, Pulse ${figures.pulse_ns_per_record} ns/record (${figures.ratio} ×)\n`,
);
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(figures) + '\n');
