import { describe, expect, it } from 'vitest';
import { describeConfig, parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('configuration', () => {
  it('has a default and a description for every setting', () => {
    const config = parseConfig({});
    expect(config.PULSE_KAFKA_BROKERS).toBe('127.0.0.1:19092');
    for (const row of describeConfig()) expect(row.description, row.name).not.toBe('');
  });

  it('stops with a message naming the bad setting', () => {
    expect(() => parseConfig({ PULSE_API_PORT: '70000' })).toThrow(ConfigError);
    expect(() => parseConfig({ PULSE_API_PORT: '70000' })).toThrow(/PULSE_API_PORT="70000"/);
    expect(() => parseConfig({ PULSE_SCHEMA_REGISTRY_URL: 'not a url' })).toThrow(
      /PULSE_SCHEMA_REGISTRY_URL/,
    );
  });
});
