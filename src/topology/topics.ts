// Topics as code: every topic Pulse uses, with its partitions, retention, cleanup policy and the
// Avro schema registered for its values (TopicNameStrategy: `<topic>-value`). `pulse topics apply`
// makes the cluster match this list, idempotently.

export interface TopicSpec {
  /** base name; the configured PULSE_TOPIC_PREFIX is prepended */
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** schema file under schemas/ for the record values, or null for raw bytes (DLQs) */
  readonly valueSchema: string | null;
  readonly description: string;
}

const DAY = 24 * 60 * 60 * 1000;

export const EXECUTIONS_TOPIC = 'workflow.executions.v1';
export const EXECUTIONS_DLQ_TOPIC = 'workflow.executions.dlq.v1';
export const METRICS_TOPIC = 'workflow.metrics.v1';
export const METRICS_DLQ_TOPIC = 'workflow.metrics.dlq.v1';
export const INSIGHTS_TOPIC = 'workflow.insights.v1';
export const INSIGHTS_DLQ_TOPIC = 'workflow.insights.dlq.v1';
export const COMMANDS_TOPIC = 'workflow.commands.v1';
export const COMMANDS_DLQ_TOPIC = 'workflow.commands.dlq.v1';
export const COMMAND_RESULTS_TOPIC = 'workflow.command-results.v1';
export const COMMAND_RESULTS_DLQ_TOPIC = 'workflow.command-results.dlq.v1';
export const DEFINITIONS_TOPIC = 'workflow.definitions.v1';
export const DEFINITIONS_DLQ_TOPIC = 'workflow.definitions.dlq.v1';
export const TROUBLESHOOTING_TOPIC = 'workflow.troubleshooting.v1';
export const TROUBLESHOOTING_DLQ_TOPIC = 'workflow.troubleshooting.dlq.v1';
export const OPTIMIZATIONS_TOPIC = 'workflow.optimizations.v1';
export const OPTIMIZATIONS_DLQ_TOPIC = 'workflow.optimizations.dlq.v1';

export const topicCatalog: readonly TopicSpec[] = [
  {
    name: EXECUTIONS_TOPIC,
    partitions: 6,
    retentionMs: 7 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.executions.v1.avsc',
    description: 'Execution events from the workflow runtime; key = workflowId.',
  },
  {
    name: EXECUTIONS_DLQ_TOPIC,
    partitions: 3,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Undecodable or invalid execution events: original bytes, reason in headers.',
  },
  {
    name: METRICS_TOPIC,
    partitions: 6,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.metrics.v1.avsc',
    description: 'Closed 1-minute windows (transactional; read committed); key = tenantId.',
  },
  {
    name: METRICS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Window records the metrics loader could not decode or validate.',
  },
  {
    name: INSIGHTS_TOPIC,
    partitions: 3,
    retentionMs: 90 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.insights.v1.avsc',
    description:
      'Insight changes (opened, updated, resolved) from the detection processor (transactional; read committed); key = tenantId.',
  },
  {
    name: INSIGHTS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Insight records the insights loader could not decode or validate.',
  },
  {
    name: COMMANDS_TOPIC,
    partitions: 6,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.commands.v1.avsc',
    description:
      'Commands to the engines (generate, troubleshoot, predict, versions, feedback); key = tenantId.',
  },
  {
    name: COMMANDS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Commands that could not be decoded or validated: original bytes, reason in headers.',
  },
  {
    name: COMMAND_RESULTS_TOPIC,
    partitions: 6,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.command-results.v1.avsc',
    description:
      'One result per command, correlated by commandId (transactional; read committed); key = tenantId.',
  },
  {
    name: COMMAND_RESULTS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Results the results loader could not decode or validate.',
  },
  {
    name: DEFINITIONS_TOPIC,
    partitions: 6,
    // The definitions' source of truth: kept for as long as the workflows are.
    retentionMs: -1,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.definitions.v1.avsc',
    description:
      'Workflow definition events (created, version published with diff, rolled back, feedback); key = tenantId.',
  },
  {
    name: DEFINITIONS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Definition events the definitions loader could not decode or validate.',
  },
  {
    name: TROUBLESHOOTING_TOPIC,
    partitions: 3,
    retentionMs: 90 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.troubleshooting.v1.avsc',
    description: 'Troubleshooting session states (opened, verified, resolved, rolled back); key = tenantId.',
  },
  {
    name: TROUBLESHOOTING_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Session records the sessions loader could not decode or validate.',
  },
  {
    name: OPTIMIZATIONS_TOPIC,
    partitions: 3,
    retentionMs: 90 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: 'workflow.optimizations.v1.avsc',
    description: 'Predictions and suggested optimizations from predict commands; key = tenantId.',
  },
  {
    name: OPTIMIZATIONS_DLQ_TOPIC,
    partitions: 1,
    retentionMs: 30 * DAY,
    cleanupPolicy: 'delete',
    valueSchema: null,
    description: 'Optimization records the optimizations loader could not decode or validate.',
  },
];

export function topicName(prefix: string, base: string): string {
  return `${prefix}${base}`;
}
