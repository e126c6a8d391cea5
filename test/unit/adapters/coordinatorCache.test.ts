import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { cacheCoordinatorLookups, cacheCoordinators } from '../../../src/adapters/kafka/coordinatorCache.ts';

function fakeCluster(fail = false) {
  const calls: string[] = [];
  const cluster = {
    findGroupCoordinatorMetadata: (params: { groupId: string; coordinatorType?: number }) => {
      calls.push(`${String(params.coordinatorType ?? 0)}:${params.groupId}`);
      return fail
        ? Promise.reject(new Error('coordinator not available'))
        : Promise.resolve({ coordinator: { nodeId: calls.length } });
    },
  };
  return { cluster, calls };
}

describe('coordinator cache', () => {
  it('asks once per group and type within the time to live, again after it', async () => {
    let clock = 0;
    const { cluster, calls } = fakeCluster();
    cacheCoordinatorLookups(cluster, 1_000, () => clock);
    const txn = { groupId: 'pulse.metrics-processor-3', coordinatorType: 1 };
    const group = { groupId: 'pulse.metrics-processor' };
    await cluster.findGroupCoordinatorMetadata(txn);
    await cluster.findGroupCoordinatorMetadata(group);
    clock = 999;
    expect(await cluster.findGroupCoordinatorMetadata(txn)).toEqual({ coordinator: { nodeId: 1 } });
    await cluster.findGroupCoordinatorMetadata(group);
    expect(calls).toEqual(['1:pulse.metrics-processor-3', '0:pulse.metrics-processor']);
    // A coordinator that moved is found again at most a second later.
    clock = 1_000;
    expect(await cluster.findGroupCoordinatorMetadata(txn)).toEqual({ coordinator: { nodeId: 3 } });
    expect(calls).toHaveLength(3);
  });

  it('does not remember a failed lookup', async () => {
    const { cluster, calls } = fakeCluster(true);
    cacheCoordinatorLookups(cluster, 1_000, () => 0);
    await expect(cluster.findGroupCoordinatorMetadata({ groupId: 'g' })).rejects.toThrow('not available');
    await expect(cluster.findGroupCoordinatorMetadata({ groupId: 'g' })).rejects.toThrow('not available');
    expect(calls).toHaveLength(2);
  });

  it('finds the hook in the installed kafkajs, and the clusters it creates cache', () => {
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
    // Fails when a kafkajs upgrade moves the private factory: the cache would silently be off.
    expect(cacheCoordinators(kafka)).toBe(true);
    const symbol = Object.getOwnPropertySymbols(kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const create = (kafka as unknown as Record<symbol, (options: object) => object>)[symbol as symbol];
    const cluster = create?.({});
    // The wrapper sits on the instance, in front of the prototype's lookup.
    expect(Object.hasOwn(cluster ?? {}, 'findGroupCoordinatorMetadata')).toBe(true);
  });
});
