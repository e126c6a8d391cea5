// A processor's outputs as Kafka messages, by topic: each routed to its declared output (the
// definition's `route`, else its main output), keyed and Avro-encoded with the topic's schema.
import type { Message } from 'kafkajs';
import type { AvroRegistry } from '../adapters/registry/schemaRegistry.ts';
import type { ProcessorDefinition } from './processorDefinition.ts';

type OutputTarget = { readonly topic: string; readonly schemaId: number };

/** Resolves every declared output's topic and Avro type once; throws for one not configured. */
export async function outputEncoder<Out>(
  registry: AvroRegistry,
  definition: Pick<
    ProcessorDefinition<unknown, unknown, Out>,
    'name' | 'output' | 'extraOutputs' | 'route' | 'outputKey' | 'outputValue'
  >,
  targets: ReadonlyMap<string, OutputTarget>,
): Promise<(outputs: readonly Out[], partition: number) => Map<string, Message[]>> {
  const outputTypes = new Map<string, OutputTarget & { type: Awaited<ReturnType<AvroRegistry['typeOf']>> }>();
  for (const base of [definition.output, ...(definition.extraOutputs ?? [])]) {
    const target = targets.get(base);
    if (target === undefined) throw new Error(`no output topic configured for ${base}`);
    outputTypes.set(base, { ...target, type: await registry.typeOf(target.schemaId) });
  }
  return (outputs, partition) => {
    const byTopic = new Map<string, Message[]>();
    for (const o of outputs) {
      const target = outputTypes.get(definition.route?.(o) ?? definition.output);
      if (target === undefined) throw new Error(`${definition.name} routed an output to an undeclared topic`);
      const list = byTopic.get(target.topic) ?? [];
      list.push({
        key: definition.outputKey(o, partition),
        value: registry.encodeKnown(target.schemaId, target.type, definition.outputValue(o, partition)),
      });
      byTopic.set(target.topic, list);
    }
    return byTopic;
  };
}
