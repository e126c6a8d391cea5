// Registers each topic's value schema under its TopicNameStrategy subject (`<topic>-value`).
import path from 'node:path';
import { readSchemaFile, type AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import { topicCatalog, topicName } from './topics.ts';

export async function registerTopicSchemas(
  registry: AvroRegistry,
  projectRoot: string,
  prefix: string,
): Promise<{ subject: string; id: number }[]> {
  const registered: { subject: string; id: number }[] = [];
  for (const spec of topicCatalog) {
    if (spec.valueSchema === null) continue;
    const subject = `${topicName(prefix, spec.name)}-value`;
    const id = await registry.register(
      subject,
      readSchemaFile(path.join(projectRoot, 'schemas'), spec.valueSchema),
    );
    registered.push({ subject, id });
  }
  return registered;
}
