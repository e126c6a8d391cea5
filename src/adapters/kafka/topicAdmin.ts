import kafkajs, { type Kafka } from 'kafkajs';
import type { TopicSpec } from '../../topology/topics.ts';
import { translateKafkaError } from './kafkaClient.ts';

export interface TopicChange {
  readonly topic: string;
  readonly change: 'created' | 'partitions-increased' | 'config-updated' | 'unchanged';
  readonly detail?: string;
}

// kafkajs's CommonJS build does not expose ConfigResourceTypes as a named ESM export.
const TOPIC_RESOURCE = kafkajs.ConfigResourceTypes.TOPIC;

function desiredConfig(spec: TopicSpec): Record<string, string> {
  return { 'retention.ms': String(spec.retentionMs), 'cleanup.policy': spec.cleanupPolicy };
}

/**
 * Makes the cluster match the specs: creates missing topics, raises partition counts (Kafka
 * cannot lower them; a lower spec is reported, not applied) and aligns topic configs.
 * Running it twice changes nothing the second time.
 */
export async function applyTopics(
  kafka: Kafka,
  specs: readonly (TopicSpec & { fullName: string })[],
): Promise<TopicChange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const changes: TopicChange[] = [];
    const missing = specs.filter((s) => !existing.has(s.fullName));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.fullName,
          numPartitions: s.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(desiredConfig(s)).map(([name, value]) => ({ name, value })),
        })),
      });
      for (const s of missing)
        changes.push({ topic: s.fullName, change: 'created', detail: `${s.partitions} partitions` });
    }
    const present = specs.filter((s) => existing.has(s.fullName));
    if (present.length === 0) return changes;
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.fullName) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((s) => ({ type: TOPIC_RESOURCE, name: s.fullName })),
    });
    for (const s of present) {
      const current = metadata.topics.find((t) => t.name === s.fullName)?.partitions.length ?? 0;
      let changed = false;
      if (current < s.partitions) {
        await admin.createPartitions({ topicPartitions: [{ topic: s.fullName, count: s.partitions }] });
        changes.push({
          topic: s.fullName,
          change: 'partitions-increased',
          detail: `${current} → ${s.partitions}`,
        });
        changed = true;
      }
      const resource = configs.resources.find((r) => r.resourceName === s.fullName);
      const want = desiredConfig(s);
      const differing = Object.entries(want).filter(
        ([name, value]) => resource?.configEntries.find((e) => e.configName === name)?.configValue !== value,
      );
      if (differing.length > 0) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: TOPIC_RESOURCE,
              name: s.fullName,
              configEntries: Object.entries(want).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        changes.push({
          topic: s.fullName,
          change: 'config-updated',
          detail: differing.map(([n, v]) => `${n}=${v}`).join(', '),
        });
        changed = true;
      }
      if (current > s.partitions) {
        changes.push({
          topic: s.fullName,
          change: 'unchanged',
          detail: `has ${current} partitions, spec asks ${s.partitions}: Kafka cannot shrink`,
        });
      } else if (!changed) {
        changes.push({ topic: s.fullName, change: 'unchanged' });
      }
    }
    return changes;
  } catch (error) {
    throw translateKafkaError(error, 'applying topics');
  } finally {
    await admin.disconnect();
  }
}
