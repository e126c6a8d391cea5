// The local stack for machines without Docker: Kafka (KRaft, jars from Maven Central), Apicurio
// Registry (assembled archive from Maven Central), Redis (the machine's, or one we start) and the
// embedded chDB engine. Downloads are cached under <stackDir>/cache; processes we start are
// tracked by pid files under <stackDir>/run, so `down` stops only what `up` started.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PulseConfig } from '../config.ts';
import { NonRetriableError, TransientError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';

const execFileAsync = promisify(execFile);

export const KAFKA_VERSION = '4.1.2';

/**
 * Apicurio 3.3 is built for Java 21+. The machine's default Java is 17, so we look for a newer JDK
 * (JAVA_HOME of the registry, or any under /usr/lib/jvm) and fall back to Apicurio 3.0, the last
 * line that runs on Java 17, when there is none.
 */
export interface RegistryRuntime {
  readonly version: string;
  readonly java: string;
  /** the runnable jar, relative to the unpacked archive (moved to the top level in 3.3) */
  readonly jar: string;
}

function javaMajor(javaBin: string): number {
  const res = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (res.error !== undefined) return 0;
  const match = /version "(\d+)/.exec(res.stderr);
  return match?.[1] !== undefined ? Number(match[1]) : 0;
}

export function registryRuntime(): RegistryRuntime {
  const candidates = existsSync('/usr/lib/jvm')
    ? readdirSync('/usr/lib/jvm').map((d) => path.join('/usr/lib/jvm', d, 'bin', 'java'))
    : [];
  let best: { java: string; major: number } | undefined;
  for (const java of ['java', ...candidates]) {
    if (java !== 'java' && !existsSync(java)) continue;
    const major = javaMajor(java);
    if (major >= 21 && (best === undefined || major > best.major)) best = { java, major };
  }
  if (best !== undefined) return { version: '3.3.3', java: best.java, jar: 'quarkus-run.jar' };
  return { version: '3.0.9', java: 'java', jar: 'apicurio-registry-app-3.0.9-runner.jar' };
}

export interface ServiceStatus {
  readonly name: 'kafka' | 'registry' | 'redis' | 'clickhouse';
  readonly address: string;
  readonly state: 'running' | 'stopped' | 'external' | 'embedded';
  readonly pid?: number;
  readonly startMs?: number;
  readonly log?: string;
  readonly detail?: string;
}

interface StackPaths {
  readonly root: string;
  readonly cache: string;
  readonly run: string;
  readonly logs: string;
  readonly data: string;
  readonly kafkaLibs: string;
  readonly apicurioHome: string;
  readonly registry: RegistryRuntime;
}

export function stackPaths(config: PulseConfig, projectRoot: string): StackPaths {
  const root = path.resolve(projectRoot, config.PULSE_STACK_DIR);
  const registry = registryRuntime();
  return {
    root,
    cache: path.join(root, 'cache'),
    run: path.join(root, 'run'),
    logs: path.join(root, 'logs'),
    data: path.join(root, 'data'),
    kafkaLibs: path.join(root, 'cache', `kafka-${KAFKA_VERSION}`),
    apicurioHome: path.join(root, 'cache', `apicurio-${registry.version}`),
    registry,
  };
}

// ---------------------------------------------------------------------------------------------
// Provisioning

async function run(cmd: string, args: string[], cwd: string, log: Logger): Promise<void> {
  log.info('running', { cmd: [cmd, ...args].join(' ') });
  try {
    await execFileAsync(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stdout?: string; stderr?: string }).stdout ?? '';
    throw new TransientError(`${cmd} failed: ${errorMessage(error)}\n${stderr.slice(-2000)}`, {
      cause: error,
    });
  }
}

/** Fetches the Kafka and Apicurio artifacts from Maven Central unless already cached. */
export async function provision(paths: StackPaths, projectRoot: string, log: Logger): Promise<void> {
  mkdirSync(paths.cache, { recursive: true });
  if (!existsSync(path.join(paths.kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        path.join(projectRoot, 'infra/stack/kafka-pom.xml'),
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${paths.kafkaLibs}`,
      ],
      projectRoot,
      log,
    );
  }
  const version = paths.registry.version;
  if (!existsSync(path.join(paths.apicurioHome, paths.registry.jar))) {
    const archive = path.join(paths.cache, `apicurio-registry-app-${version}-all.tar.gz`);
    if (!existsSync(archive)) {
      await run(
        'mvn',
        [
          '-q',
          '-B',
          'dependency:copy',
          `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
          `-DoutputDirectory=${paths.cache}`,
        ],
        projectRoot,
        log,
      );
    }
    mkdirSync(paths.apicurioHome, { recursive: true });
    await run('tar', ['-xzf', archive, '-C', paths.apicurioHome], projectRoot, log);
  }
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

function pidFile(paths: StackPaths, name: string): string {
  return path.join(paths.run, `${name}.pid`);
}

function readPid(paths: StackPaths, name: string): number | undefined {
  const file = pidFile(paths, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startDetached(paths: StackPaths, name: string, cmd: string, args: string[], cwd: string): number {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.run, { recursive: true });
  const logFile = path.join(paths.logs, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new NonRetriableError(`could not start ${name} (${cmd})`);
  writeFileSync(pidFile(paths, name), String(child.pid));
  return child.pid;
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  pid?: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (pid !== undefined && !isAlive(pid)) throw new NonRetriableError(`${what} exited during start-up`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new TransientError(`${what} did not become healthy within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Services

function kafkaProperties(config: PulseConfig, dataDir: string): string {
  const port = config.PULSE_KAFKA_PORT;
  const controllerPort = port + 1;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=6',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=12',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    '',
  ].join('\n');
}

function kafkaClusterId(): string {
  return randomBytes(16).toString('base64url');
}

async function startKafka(
  config: PulseConfig,
  paths: StackPaths,
  log: Logger,
  projectRoot: string,
): Promise<ServiceStatus> {
  const address = `127.0.0.1:${config.PULSE_KAFKA_PORT}`;
  const logFile = path.join(paths.logs, 'kafka.log');
  const existing = readPid(paths, 'kafka');
  if (existing !== undefined)
    return { name: 'kafka', address, state: 'running', pid: existing, log: logFile };
  if (await portOpen('127.0.0.1', config.PULSE_KAFKA_PORT)) {
    return { name: 'kafka', address, state: 'external', detail: 'port already served by another process' };
  }
  const started = Date.now();
  const dataDir = path.join(paths.data, 'kafka');
  const propsFile = path.join(paths.run, 'kafka-server.properties');
  mkdirSync(paths.run, { recursive: true });
  writeFileSync(propsFile, kafkaProperties(config, dataDir));
  const classpath = path.join(paths.kafkaLibs, '*');
  const jvm = [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${path.join(projectRoot, 'infra/stack/kafka-log4j2.properties')}`,
    '-cp',
    classpath,
  ];
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    mkdirSync(dataDir, { recursive: true });
    await run(
      'java',
      [
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        kafkaClusterId(),
        '-c',
        propsFile,
        '--ignore-formatted',
      ],
      projectRoot,
      log,
    );
  }
  const pid = startDetached(paths, 'kafka', 'java', [...jvm, 'kafka.Kafka', propsFile], projectRoot);
  await waitFor('kafka', () => kafkaReady(address), 90_000, pid);
  return { name: 'kafka', address, state: 'running', pid, startMs: Date.now() - started, log: logFile };
}

/** A broker is ready when it answers a metadata request (a bare open port is not enough). */
async function kafkaReady(address: string): Promise<boolean> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function registryBase(config: PulseConfig): string {
  return `http://127.0.0.1:${config.PULSE_REGISTRY_PORT}`;
}

async function registryReady(config: PulseConfig): Promise<boolean> {
  const res = await fetch(`${registryBase(config)}/apis/ccompat/v7/subjects`, {
    signal: AbortSignal.timeout(2000),
  });
  return res.ok;
}

async function startRegistry(config: PulseConfig, paths: StackPaths): Promise<ServiceStatus> {
  const address = `${registryBase(config)}/apis/ccompat/v7`;
  const logFile = path.join(paths.logs, 'registry.log');
  const existing = readPid(paths, 'registry');
  if (existing !== undefined)
    return { name: 'registry', address, state: 'running', pid: existing, log: logFile };
  if (await portOpen('127.0.0.1', config.PULSE_REGISTRY_PORT)) {
    return { name: 'registry', address, state: 'external', detail: 'port already served by another process' };
  }
  mkdirSync(path.join(paths.data, 'registry'), { recursive: true });
  const started = Date.now();
  const pid = startDetached(
    paths,
    'registry',
    paths.registry.java,
    [
      '-Xms128m',
      '-Xmx768m',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${config.PULSE_REGISTRY_PORT}`,
      // Loopback only. Apicurio builds its management interface in (enabled=false is a build-time
      // setting it ignores at run time), so it is bound to loopback, on the port after the API's
      // instead of 0.0.0.0:9000, where it would be open to the network and clash between stacks.
      '-Dquarkus.management.enabled=false',
      '-Dquarkus.management.host=127.0.0.1',
      `-Dquarkus.management.port=${config.PULSE_REGISTRY_PORT + 1}`,
      '-Dquarkus.otel.sdk.disabled=true',
      // Schemas on disk (H2 file) instead of in memory: a registry that restarts, or is killed,
      // comes back with the same ids, so records already written stay readable.
      `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(paths.data, 'registry', 'registry')}`,
      '-jar',
      path.join(paths.apicurioHome, paths.registry.jar),
    ],
    paths.apicurioHome,
  );
  await waitFor('registry', () => registryReady(config), 120_000, pid);
  // Global compatibility BACKWARD: consumers on an older schema can read newer records. The
  // registry may answer reads a moment before it accepts writes, so this is retried briefly.
  let lastStatus = '';
  await waitFor(
    'registry compatibility rule',
    async () => {
      const res = await fetch(`${address}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: 'BACKWARD' }),
      });
      lastStatus = `${res.status} ${await res.text()}`;
      return res.ok;
    },
    30_000,
    pid,
  ).catch((error: unknown) => {
    throw new TransientError(`registry did not accept the global compatibility rule (${lastStatus})`, {
      cause: error,
    });
  });
  return { name: 'registry', address, state: 'running', pid, startMs: Date.now() - started, log: logFile };
}

function redisHostPort(config: PulseConfig): { host: string; port: number } {
  const url = new URL(config.PULSE_REDIS_URL);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) };
}

async function redisPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (buf) => {
      socket.destroy();
      resolve(buf.toString().startsWith('+PONG'));
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

async function startRedis(config: PulseConfig, paths: StackPaths): Promise<ServiceStatus> {
  const { host, port } = redisHostPort(config);
  const address = `${host}:${port}`;
  const logFile = path.join(paths.logs, 'redis.log');
  const existing = readPid(paths, 'redis');
  if (existing !== undefined)
    return { name: 'redis', address, state: 'running', pid: existing, log: logFile };
  if (await redisPing(host, port))
    return { name: 'redis', address, state: 'external', detail: 'answering PING' };
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new TransientError(
      `Redis at ${address} (PULSE_REDIS_URL) does not answer and is not local, so it cannot be started`,
    );
  }
  const started = Date.now();
  const dir = path.join(paths.data, 'redis');
  mkdirSync(dir, { recursive: true });
  let pid: number;
  try {
    pid = startDetached(
      paths,
      'redis',
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'],
      dir,
    );
  } catch (error) {
    throw new NonRetriableError(
      `Redis is not running at ${address} and redis-server could not be started: ${errorMessage(error)}`,
    );
  }
  await waitFor('redis', () => redisPing(host, port), 20_000, pid);
  return { name: 'redis', address, state: 'running', pid, startMs: Date.now() - started, log: logFile };
}

function clickhouseStatus(config: PulseConfig, projectRoot: string): ServiceStatus {
  if (config.CLICKHOUSE_URL !== undefined) {
    return {
      name: 'clickhouse',
      address: config.CLICKHOUSE_URL,
      state: 'external',
      detail: 'ClickHouse server (CLICKHOUSE_URL)',
    };
  }
  return {
    name: 'clickhouse',
    address: path.resolve(projectRoot, config.PULSE_CHDB_PATH),
    state: 'embedded',
    detail: 'chDB engine inside the pipeline process',
  };
}

// ---------------------------------------------------------------------------------------------
// Public operations

export async function stackUp(
  config: PulseConfig,
  projectRoot: string,
  log: Logger,
): Promise<ServiceStatus[]> {
  const paths = stackPaths(config, projectRoot);
  await provision(paths, projectRoot, log);
  // Start the JVMs side by side: each takes a few seconds of mostly waiting.
  const [kafka, registry] = await Promise.all([
    startKafka(config, paths, log, projectRoot),
    startRegistry(config, paths),
  ]);
  const redis = await startRedis(config, paths);
  return [kafka, registry, redis, clickhouseStatus(config, projectRoot)];
}

export async function stackStatus(config: PulseConfig, projectRoot: string): Promise<ServiceStatus[]> {
  const paths = stackPaths(config, projectRoot);
  const kafkaPid = readPid(paths, 'kafka');
  const registryPid = readPid(paths, 'registry');
  const redisPid = readPid(paths, 'redis');
  const { host, port } = redisHostPort(config);
  const kafkaAddress = `127.0.0.1:${config.PULSE_KAFKA_PORT}`;
  const kafkaUp = await kafkaReady(kafkaAddress).catch(() => false);
  const registryUp = await registryReady(config).catch(() => false);
  const redisUp = await redisPing(host, port);
  const state = (up: boolean, pid: number | undefined): ServiceStatus['state'] =>
    up ? (pid !== undefined ? 'running' : 'external') : 'stopped';
  return [
    {
      name: 'kafka',
      address: kafkaAddress,
      state: state(kafkaUp, kafkaPid),
      ...(kafkaPid ? { pid: kafkaPid } : {}),
    },
    {
      name: 'registry',
      address: `${registryBase(config)}/apis/ccompat/v7`,
      state: state(registryUp, registryPid),
      ...(registryPid ? { pid: registryPid } : {}),
    },
    {
      name: 'redis',
      address: `${host}:${port}`,
      state: state(redisUp, redisPid),
      ...(redisPid ? { pid: redisPid } : {}),
    },
    clickhouseStatus(config, projectRoot),
  ];
}

/** Stops only the processes this stack started (by pid file), newest dependants first. */
export async function stackDown(
  config: PulseConfig,
  projectRoot: string,
  options: { purge?: boolean } = {},
): Promise<string[]> {
  const paths = stackPaths(config, projectRoot);
  const stopped: string[] = [];
  for (const name of ['registry', 'kafka', 'redis']) {
    const pid = readPid(paths, name);
    if (pid !== undefined) {
      await stopProcess(pid);
      stopped.push(`${name} (pid ${pid})`);
    }
    rmSync(pidFile(paths, name), { force: true });
  }
  if (options.purge === true && existsSync(paths.data)) {
    for (const entry of readdirSync(paths.data))
      rmSync(path.join(paths.data, entry), { recursive: true, force: true });
  }
  return stopped;
}

async function stopProcess(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
