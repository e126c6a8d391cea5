// Confluent-API schema registry (Apicurio's ccompat API or Confluent's) through
// @kafkajs/confluent-schema-registry. Records use the Confluent wire format:
//   byte 0      magic byte 0x00
//   bytes 1..4  schema id, big-endian int32
//   bytes 5..   Avro binary body
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { NonRetriableError, TransientError, errorMessage } from '../../errors.ts';

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

export class AvroRegistry {
  readonly #registry: SchemaRegistry;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
    this.#registry = new SchemaRegistry({ host: url, retry: { retries: 3, initialRetryTimeInSecs: 0.2 } });
  }

  /** Registers (or finds) the schema under `subject`; the registry returns the same id for the same schema. */
  async register(subject: string, schemaJson: string): Promise<number> {
    try {
      const { id } = await this.#registry.register(
        { type: SchemaType.AVRO, schema: schemaJson },
        { subject },
      );
      return id;
    } catch (error) {
      const status = httpStatus(error);
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
    if (buffer === null || buffer.length < 5 || buffer[0] !== 0) {
      throw new DecodeError(
        'not-confluent-framed',
        'value is not in the Confluent wire format (magic byte 0, schema id)',
      );
    }
    const schemaId = buffer.readInt32BE(1);
    try {
      // Resolve the schema first so an unknown id is told apart from a malformed body.
      await this.#registry.getSchema(schemaId);
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || status === 422) {
        throw new DecodeError('unknown-schema-id', `schema id ${schemaId} is not in the registry`, error);
      }
      throw new TransientError(`fetching schema ${schemaId} from ${this.url}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    try {
      return await this.#registry.decode(buffer);
    } catch (error) {
      throw new DecodeError(
        'malformed-avro',
        `Avro body does not decode with schema ${schemaId}: ${errorMessage(error)}`,
        error,
      );
    }
  }
}
