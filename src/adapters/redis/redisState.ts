// Checkpointed state in Redis (ioredis). Values are JSON; errors become TransientError so the
// runners pause and retry instead of failing the stage.
import { Redis } from 'ioredis';
import { TransientError, errorMessage } from '../../errors.ts';

export class RedisState {
  readonly #redis: Redis;
  readonly prefix: string;

  constructor(url: string, prefix: string) {
    this.prefix = prefix;
    this.#redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    });
    // Connection errors surface through the failing commands; keep ioredis from logging them as unhandled.
    this.#redis.on('error', () => undefined);
  }

  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.#redis.get(key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch (error) {
      throw new TransientError(`Redis GET ${key}: ${errorMessage(error)}`, { cause: error });
    }
  }

  async setJson(key: string, value: unknown): Promise<void> {
    try {
      await this.#redis.set(key, JSON.stringify(value));
    } catch (error) {
      throw new TransientError(`Redis SET ${key}: ${errorMessage(error)}`, { cause: error });
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#redis.ping();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
    await Promise.resolve();
  }
}
