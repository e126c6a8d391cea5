// Makes sure the real services are there before integration tests run:
//   1. endpoints configured in the environment (PULSE_KAFKA_BROKERS and PULSE_SCHEMA_REGISTRY_URL) → use them;
//   2. otherwise, with a Docker engine reachable → testcontainers (Kafka, Apicurio, Redis);
//   3. otherwise → the local stack (`pulse stack up`: Kafka and Apicurio from Maven Central jars).
// ClickHouse is the embedded chDB engine unless CLICKHOUSE_URL is set.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { parseConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

export interface StackEndpoints {
  kafkaBrokers: string;
  registryUrl: string;
  redisUrl: string;
  clickhouseUrl: string | null;
  provider: 'configured' | 'testcontainers' | 'local-stack';
}

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: StackEndpoints;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let teardownActions: (() => Promise<void>)[] = [];

async function dockerReachable(): Promise<boolean> {
  if (process.env.DOCKER_HOST === undefined && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<StackEndpoints> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 19092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:19092,CONTROLLER://:19093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:19093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.3.3')
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  teardownActions.push(async () => {
    await Promise.all([kafka.stop(), registry.stop(), redis.stop()]);
  });
  const registryUrl = `http://127.0.0.1:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
  });
  return {
    kafkaBrokers: '127.0.0.1:19092',
    registryUrl,
    redisUrl: `redis://127.0.0.1:${redis.getMappedPort(6379)}`,
    clickhouseUrl: process.env.CLICKHOUSE_URL ?? null,
    provider: 'testcontainers',
  };
}

export async function setup(project: TestProject): Promise<void> {
  const config = parseConfig(process.env);
  let endpoints: StackEndpoints;
  if (process.env.PULSE_KAFKA_BROKERS !== undefined && process.env.PULSE_SCHEMA_REGISTRY_URL !== undefined) {
    endpoints = {
      kafkaBrokers: config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      redisUrl: config.PULSE_REDIS_URL,
      clickhouseUrl: config.CLICKHOUSE_URL ?? null,
      provider: 'configured',
    };
  } else if (await dockerReachable()) {
    endpoints = await startContainers();
  } else {
    const { stackUp, stackStatus, stackDown } = await import('../../src/stack/localStack.ts');
    const before = await stackStatus(config, root);
    const rows = await stackUp(config, root, createLogger({ module: 'test-stack' }).child({}));
    const startedHere = before.some(
      (s) => s.state === 'stopped' && (s.name === 'kafka' || s.name === 'registry'),
    );
    if (startedHere)
      teardownActions.push(async () => {
        await stackDown(config, root);
      });
    endpoints = {
      kafkaBrokers: rows.find((r) => r.name === 'kafka')?.address ?? config.PULSE_KAFKA_BROKERS,
      registryUrl: config.PULSE_SCHEMA_REGISTRY_URL,
      redisUrl: config.PULSE_REDIS_URL,
      clickhouseUrl: config.CLICKHOUSE_URL ?? null,
      provider: 'local-stack',
    };
  }
  project.provide('endpoints', endpoints);
}

export async function teardown(): Promise<void> {
  for (const action of teardownActions.reverse()) await action();
  teardownActions = [];
}
