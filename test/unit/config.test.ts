import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTableMarkdown, replaceConfigTable } from '../../src/configTable.ts';
import { describeConfig, isLoopbackHost, parseConfig } from '../../src/config.ts';
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

  it('refuses a non-loopback API address without a token, naming both settings', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'pulse.example.com']) {
      expect(() => parseConfig({ PULSE_API_HOST: host }), host).toThrow(ConfigError);
      expect(() => parseConfig({ PULSE_API_HOST: host }), host).toThrow(
        /PULSE_API_HOST=".*":.*PULSE_API_TOKEN/,
      );
    }
    const token = 'a'.repeat(24);
    expect(parseConfig({ PULSE_API_HOST: '0.0.0.0', PULSE_API_TOKEN: token }).PULSE_API_TOKEN).toBe(token);
    expect(parseConfig({ PULSE_API_HOST: '127.0.0.2' }).PULSE_API_TOKEN).toBeUndefined();
    expect(parseConfig({ PULSE_API_HOST: '::1' }).PULSE_API_HOST).toBe('::1');
  });

  it('refuses a short token without echoing it', () => {
    const attempt = (): unknown => parseConfig({ PULSE_API_TOKEN: 'short-secret' });
    expect(attempt).toThrow(/PULSE_API_TOKEN=\(hidden\): must be at least 24 characters/);
    expect(attempt).not.toThrow(/short-secret/);
    expect(() => parseConfig({ PULSE_API_TOKEN: `${'a'.repeat(24)} b` })).toThrow(/PULSE_API_TOKEN/);
  });

  it('tells loopback addresses from the rest', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '128.0.0.1',
      '127.0.0.1.example.com',
      '10.0.0.1',
      'localhost.evil',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('defaults the API limits', () => {
    const config = parseConfig({});
    expect(config.PULSE_API_RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(config.PULSE_API_BODY_LIMIT_BYTES).toBe(1024 * 1024);
    expect(() => parseConfig({ PULSE_API_BODY_LIMIT_BYTES: '10' })).toThrow(/PULSE_API_BODY_LIMIT_BYTES/);
  });
});

describe('README configuration table', () => {
  it('lists every setting with its default and meaning, as scripts/docs/configTable.ts writes it', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(replaceConfigTable(readme, configTableMarkdown())).toBe(readme);
  });
});
