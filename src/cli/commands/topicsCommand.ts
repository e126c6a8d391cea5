import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { rootLogger } from '../../logger.ts';
import { topicCatalog, topicName } from '../../topology/topics.ts';
import { projectRoot } from '../projectRoot.ts';

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('Kafka topics as code');
  topics
    .command('list')
    .description('Print the declared topics')
    .action(() => {
      const prefix = loadConfig().PULSE_TOPIC_PREFIX;
      for (const t of topicCatalog) {
        const days = (t.retentionMs / 86_400_000).toFixed(0);
        process.stdout.write(
          `${topicName(prefix, t.name).padEnd(36)} ${String(t.partitions).padStart(3)} partitions  ${t.cleanupPolicy.padEnd(7)} ${days}d  ${t.valueSchema ?? '(raw bytes)'}\n`,
        );
      }
    });
  topics
    .command('apply')
    .description('Create or update the declared topics and register their schemas (idempotent)')
    .action(async () => {
      const config = loadConfig();
      const { applyAllTopics } = await import('../../pipeline/pulseProcess.ts');
      const { AvroRegistry } = await import('../../adapters/registry/schemaRegistry.ts');
      const { registerTopicSchemas } = await import('../../topology/schemaSetup.ts');
      for (const c of await applyAllTopics(config, rootLogger)) {
        process.stdout.write(
          `${c.topic.padEnd(36)} ${c.change}${c.detail !== undefined ? `  (${c.detail})` : ''}\n`,
        );
      }
      const registry = new AvroRegistry(config.PULSE_SCHEMA_REGISTRY_URL);
      for (const s of await registerTopicSchemas(registry, projectRoot, config.PULSE_TOPIC_PREFIX)) {
        process.stdout.write(`${s.subject.padEnd(36)} schema id ${s.id}\n`);
      }
    });
}
