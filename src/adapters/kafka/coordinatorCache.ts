// kafkajs asks the cluster which broker coordinates a group or a transaction before every
// transactional call: AddOffsetsToTxn, TxnOffsetCommit and EndTxn each send a FindCoordinator
// request first, so a processor's transaction per batch cost three extra round trips (12,061 of
// the 28,485 requests the whole pipeline sent in 20 s at a steady 5k events/s). The answer only
// changes when a coordinator moves; it is kept for a second here. A call that meets a moved
// coordinator fails with a retriable error, and kafkajs's retries back off for longer than that,
// so the retry asks again.
//
// kafkajs (2.2.4, unmaintained) exposes no option for this; the hook wraps the cluster each client
// creates, through the Kafka instance's private factory. When that factory is missing (another
// kafkajs) nothing is cached and every call asks, as before; a unit test fails on that.
import type { Kafka } from 'kafkajs';

export const COORDINATOR_TTL_MS = 1_000;

interface CoordinatorLookup {
  findGroupCoordinatorMetadata(params: { groupId: string; coordinatorType?: number }): Promise<unknown>;
}

type ClusterFactory = (options: unknown) => CoordinatorLookup;

/** Wraps one cluster's coordinator lookup with a cache of `ttlMs` per group id and type. */
export function cacheCoordinatorLookups(
  cluster: CoordinatorLookup,
  ttlMs = COORDINATOR_TTL_MS,
  now: () => number = Date.now,
): void {
  const lookup = cluster.findGroupCoordinatorMetadata.bind(cluster);
  const known = new Map<string, { at: number; metadata: Promise<unknown> }>();
  cluster.findGroupCoordinatorMetadata = (params) => {
    const key = `${String(params.coordinatorType ?? 0)}:${params.groupId}`;
    const hit = known.get(key);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.metadata;
    const metadata = lookup(params);
    known.set(key, { at: now(), metadata });
    // A failed lookup is not remembered: the next call asks again.
    metadata.catch(() => {
      if (known.get(key)?.metadata === metadata) known.delete(key);
    });
    return metadata;
  };
}

const factorySymbol = (kafka: Kafka): symbol | undefined =>
  Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');

/** Makes every client of `kafka` cache coordinator lookups; false when this kafkajs has no hook. */
export function cacheCoordinators(kafka: Kafka, ttlMs = COORDINATOR_TTL_MS): boolean {
  const symbol = factorySymbol(kafka);
  if (symbol === undefined) return false;
  const holder = kafka as unknown as Record<symbol, ClusterFactory | undefined>;
  const create = holder[symbol];
  if (typeof create !== 'function') return false;
  holder[symbol] = (options) => {
    const cluster = create(options);
    if (typeof cluster.findGroupCoordinatorMetadata === 'function') cacheCoordinatorLookups(cluster, ttlMs);
    return cluster;
  };
  return true;
}
