// Confluent-API schema registry (Apicurio's ccompat API or Confluent's) through
// @kafkajs/confluent-schema-registry. Records use the Confluent wire format:
//   byte 0      magic byte 0x00
//   bytes 1..4  schema id, big-endian int32
//   bytes 5..   Avro binary body
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';
import { guardAvroBlockCounts } from './avroBlockGuard.ts';

// Before any decode: a corrupted block count must fail as malformed, not stall the stage.
guardAvroBlockCounts();

export type DecodeFailure = 'not-confluent-framed' | 'unknown-schema-id' | 'malformed-avro';

/** A message that can never be decoded: it belongs in the DLQ, retrying will not help. */
export class DecodeError extends NonRetriableError {
  readonly reason: DecodeFailure;

  constructor(reason: DecodeFailure, message: string, cause?: unknown) {
    super(message, { code: `DECODE_${reason.toUpperCase().replaceAll('-', '_')}`, cause });
    this.name = 'DecodeError';
    this.reason = reason;
  }
}

function httpStatus(error: unknown): number | undefined {
  if (error !== null && typeof error === 'object' && 'status' in error && typeof error.status === 'number') {
    return error.status;
  }
  return undefined;
}

export function readSchemaFile(schemasDir: string, file: string): string {
  return readFileSync(path.join(schemasDir, file), 'utf8');
}

interface AvroType {
  fromBuffer(buffer: Buffer): unknown;
  toBuffer(value: unknown): Buffer;
  /** the schema as JSON (avsc) */
  schema(): unknown;
}

export class AvroRegistry {
  readonly #registry: SchemaRegistry;
  /** Avro types by schema id: after the first record of a schema, decoding is synchronous. */
  readonly #types = new Map<number, AvroType>();
  readonly url: string;

  constructor(url: string) {
    this.url = url;
    this.#registry = new SchemaRegistry({ host: url, retry: { retries: 3, initialRetryTimeInSecs: 0.2 } });
  }

  /** Registers (or finds) the schema under `subject`; the registry returns the same id for the same schema. */
  async register(subject: string, schemaJson: string, attempt = 1): Promise<number> {
    try {
      const { id } = await this.#registry.register(
        { type: SchemaType.AVRO, schema: schemaJson },
        { subject },
      );
      return id;
    } catch (error) {
      const status = httpStatus(error);
      // Instances starting together register the same subjects at once, and Apicurio answers the
      // loser of that race with 409 "... already exists": registering again finds the schema.
      if (status === 409 && /already exists/i.test(errorMessage(error)) && attempt < 5) {
        await new Promise((r) => setTimeout(r, 100 * attempt));
        return this.register(subject, schemaJson, attempt + 1);
      }
      if (status === 409 || status === 422) {
        throw new NonRetriableError(
          `schema for ${subject} rejected by the registry (${status}): ${errorMessage(error)}`,
          {
            cause: error,
          },
        );
      }
      throw new TransientError(`registering ${subject} at ${this.url}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  async subjects(): Promise<string[]> {
    const res = await fetch(`${this.url}/subjects`).catch((error: unknown) => {
      throw new TransientError(`registry ${this.url} unreachable: ${errorMessage(error)}`, { cause: error });
    });
    if (!res.ok) throw new TransientError(`registry ${this.url} answered ${res.status}`);
    return (await res.json()) as string[];
  }

  async encode(schemaId: number, value: unknown): Promise<Buffer> {
    try {
      return await this.#registry.encode(schemaId, value);
    } catch (error) {
      if (error instanceof Error && error.name === 'ConfluentSchemaRegistryValidationError') {
        throw new NonRetriableError(`value does not match schema ${schemaId}: ${error.message}`, {
          cause: error,
        });
      }
      throw new TransientError(`encoding with schema ${schemaId}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Decodes a Confluent-framed Avro record. Throws DecodeError for bytes that can never decode
   * (DLQ material) and TransientError when the registry cannot be reached (retry later).
   */
  async decode(buffer: Buffer | null): Promise<unknown> {
    const known = this.decodeKnown(buffer);
    if (known !== undefined) return known;
    // decodeKnown checked the framing, so the schema id is readable; fetch its schema once.
    await this.#loadType((buffer as Buffer).readInt32BE(1));
    return this.decodeKnown(buffer);
  }

  /**
   * Decodes synchronously when the record's schema is already known; undefined when it is not
   * (call `decode` then). The hot path of the processors.
   */
  decodeKnown(buffer: Buffer | null): unknown {
    if (buffer === null || buffer.length < 5 || buffer[0] !== 0) {
      throw new DecodeError(
        'not-confluent-framed',
        'value is not in the Confluent wire format (magic byte 0, schema id)',
      );
    }
    const schemaId = buffer.readInt32BE(1);
    const type = this.#types.get(schemaId);
    if (type === undefined) return undefined;
    try {
      return type.fromBuffer(buffer.subarray(5));
    } catch (error) {
      throw new DecodeError(
        'malformed-avro',
        `Avro body does not decode with schema ${schemaId}: ${errorMessage(error)}`,
        error,
      );
    }
  }

  /** The writer schema of an id whose records `decodeKnown` can decode; undefined before that. */
  writerSchema(schemaId: number): unknown {
    return this.#types.get(schemaId)?.schema();
  }

  async #loadType(schemaId: number): Promise<void> {
    try {
      const schema = (await this.#registry.getSchema(schemaId)) as unknown as AvroType;
      this.#types.set(schemaId, schema);
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 422) {
        throw new DecodeError('unknown-schema-id', `schema id ${schemaId} is not in the registry`, error);
      }
      throw new TransientError(`fetching schema ${schemaId} from ${this.url}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  encodeKnown(schemaId: number, type: AvroType, value: unknown): Buffer {
    const header = Buffer.alloc(5);
    header.writeInt32BE(schemaId, 1);
    try {
      return Buffer.concat([header, type.toBuffer(value)]);
    } catch (error) {
      throw new NonRetriableError(`value does not match schema ${schemaId}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /** The Avro type of a schema id (loaded once). */
  async typeOf(schemaId: number): Promise<AvroType> {
    if (!this.#types.has(schemaId)) await this.#loadType(schemaId);
    const type = this.#types.get(schemaId);
    if (type === undefined) throw new NonRetriableError(`schema ${schemaId} is unknown`);
    return type;
  }
}
