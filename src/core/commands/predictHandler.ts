// Predict commands: a workflow (by id, from the definitions projection, or given whole) and its
// hourly history → predictWorkflowLoad → workflow.optimizations.v1 and the command's result.
import { z } from 'zod';
import { predictWorkflowLoad, type HourlyHistory } from '../forecasting/workflowPrediction.ts';
import { parseWorkflowDefinition, type WorkflowDefinition } from '../generation/workflowDefinition.ts';
import { versionKey } from '../generation/workflowDefinitionEvents.ts';
import {
  commandResult,
  type CommandInput,
  type CommandOutput,
  type CommandState,
  type OptimizationRecord,
} from './commandOutputs.ts';

/** A predict command: load, latency and cost of a workflow over the horizon, with intervals. */
export function handlePredict(
  state: CommandState,
  command: Extract<CommandInput, { type: 'predict' }>,
): CommandOutput[] {
  const p = command.payload;
  const reject = (code: string, message: string): CommandOutput[] => [
    {
      kind: 'result',
      result: commandResult(
        command,
        'rejected',
        {},
        { error: { code, message, retriable: false }, workflowId: p.workflowId },
      ),
    },
  ];
  let definition: WorkflowDefinition | undefined;
  if (p.workflowJson !== null) {
    try {
      definition = parseWorkflowDefinition(JSON.parse(p.workflowJson));
    } catch (error) {
      return reject('invalid', `workflowJson: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else if (p.workflowId !== null) {
    const wf = state.projection.workflows.get(p.workflowId);
    if (wf?.tenantId === command.tenantId) {
      definition = state.projection.versions.get(versionKey(p.workflowId, wf.currentVersion))?.definition;
    }
  }
  if (definition === undefined) {
    return reject(
      p.workflowId === null ? 'invalid' : 'not_found',
      p.workflowId === null ? 'workflowId or workflowJson is required' : `workflow ${p.workflowId} not found`,
    );
  }
  const hour = 3_600_000;
  const history: HourlyHistory = command.history ?? {
    start: Math.floor(command.issuedAt / hour) * hour,
    executions: [],
    successRate: [],
    p95Ms: [],
    costPerRunMicros: [],
  };
  const prediction = predictWorkflowLoad(definition, history, p.predictionHorizonHours);
  const optimization: OptimizationRecord = {
    optimizationId: command.commandId,
    tenantId: command.tenantId,
    workflowId: p.workflowId ?? definition.workflowId,
    strategy: definition.strategy,
    horizonHours: prediction.horizonHours,
    improvementsJson: JSON.stringify(prediction.improvements),
    appliedChangesJson: '[]',
    confidenceScore: prediction.confidence,
    createdAt: command.issuedAt,
    predictionJson: JSON.stringify(prediction),
  };
  return [
    { kind: 'optimization', optimization },
    {
      kind: 'result',
      result: commandResult(command, 'completed', prediction, {
        workflowId: optimization.workflowId,
        version: definition.version,
      }),
    },
  ];
}

/**
 * Caller-supplied history (`historical_data`): hourly arrays, oldest first, ending now. Unknown
 * shapes are ignored (the stored history is used instead).
 */
export function historyFromJson(json: string | null, now: number): HourlyHistory | null {
  if (json === null) return null;
  const parsed = z
    .object({
      executions: z
        .array(z.number().nonnegative())
        .min(1)
        .max(24 * 366),
      successRate: z.array(z.number().min(0).max(1).nullable()).optional(),
      p95Ms: z.array(z.number().nonnegative().nullable()).optional(),
      costPerRunMicros: z.array(z.number().nonnegative().nullable()).optional(),
    })
    .safeParse(JSON.parse(json));
  if (!parsed.success) return null;
  const d = parsed.data;
  const n = d.executions.length;
  const fit = (xs: (number | null)[] | undefined): (number | null)[] =>
    Array.from({ length: n }, (_, i) => xs?.[i] ?? null);
  const hour = 3_600_000;
  return {
    start: Math.floor(now / hour) * hour - n * hour,
    executions: d.executions,
    successRate: fit(d.successRate),
    p95Ms: fit(d.p95Ms),
    costPerRunMicros: fit(d.costPerRunMicros),
  };
}
