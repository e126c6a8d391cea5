// What the demo does as its story unfolds and as the pipeline reports: publishes the slow version
// when its time comes, prints insights as they open and resolve, troubleshoots each incident's
// workflow with its error logs, rolls the slow version back once its latency insight names it,
// asks for a 7-day forecast once the history is in, and generates a workflow from a sentence while
// the storm is on. Every line it prints is a row or a command result from the pipeline.
import type { DemoRuntime } from '../../../core/demo/demoRuntime.ts';
import { runtimeSteps } from '../../../core/demo/demoRuntime.ts';
import {
  storyTime,
  type DemoIncident,
  type DemoStory,
  type TimeLapse,
} from '../../../core/demo/demoStory.ts';
import type { CommandClient } from '../../../sdk/commandClient.ts';
import { rootLogger } from '../../../logger.ts';
import { request, type GeneratedDefinition, type Out } from './demoCommands.ts';
import { forecastSummary, type DemoView, type InsightRow } from './demoView.ts';

type SlowVersion = Extract<DemoIncident, { kind: 'slow_version' }>;

interface Hypothesis {
  kind: string;
  summary: string;
}
interface Recommendation {
  automatic: boolean;
  instructions: string;
}
interface Action {
  action: string;
  version?: number;
  resolution?: { instructions?: string };
}

export class DemoReactions {
  readonly #out: Out;
  readonly #view: DemoView;
  readonly #client: CommandClient;
  readonly #runtime: DemoRuntime;
  readonly #story: DemoStory;
  readonly #lapse: TimeLapse;
  readonly #historyEnd: number;
  readonly #definitions = new Map<string, GeneratedDefinition>();
  readonly #insights = new Map<string, string>();
  readonly #sessions = new Map<string, string>();
  readonly #troubleshot = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  #slowPublished: number | null = null;
  #rolledBack = false;
  #forecastAsked = false;
  #generatedLive = false;

  constructor(deps: {
    out: Out;
    view: DemoView;
    client: CommandClient;
    runtime: DemoRuntime;
    story: DemoStory;
    lapse: TimeLapse;
    historyEnd: number;
    definitions: ReadonlyMap<string, GeneratedDefinition>;
  }) {
    this.#out = deps.out;
    this.#view = deps.view;
    this.#client = deps.client;
    this.#runtime = deps.runtime;
    this.#story = deps.story;
    this.#lapse = deps.lapse;
    this.#historyEnd = deps.historyEnd;
    for (const [id, d] of deps.definitions) this.#definitions.set(id, d);
  }

  #spawn(what: string, work: () => Promise<void>): void {
    const p = work()
      .catch((error: unknown) => {
        this.#out(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
        rootLogger.warn(`${what} failed`, { module: 'demo', error });
      })
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  get #slow(): SlowVersion | undefined {
    return this.#story.incidents.find((i): i is SlowVersion => i.kind === 'slow_version');
  }

  /** Story steps due at event time `now` (awaited, so runs after it use the new version). */
  async scheduled(now: number): Promise<void> {
    const slow = this.#slow;
    if (slow === undefined) return;
    if (this.#slowPublished === null && now >= storyTime(this.#lapse, slow.fromMin)) {
      this.#slowPublished = 0;
      const v1 = this.#definitions.get(slow.workflowId);
      if (v1 === undefined) return;
      const definition = {
        ...v1,
        steps: v1.steps.map((s) =>
          s.service === slow.service
            ? {
                ...s,
                inputs: { ...(s as { inputs?: object }).inputs, enrichCompany: 'true' },
                timeoutMs: 60_000,
              }
            : s,
        ),
      };
      const { version } = await request(this.#client, {
        type: 'publish_version',
        tenantId: slow.tenantId,
        payload: {
          workflowId: slow.workflowId,
          definitionJson: JSON.stringify(definition),
          reason: `enrich every contact with its company before creating it in ${slow.service}`,
        },
      });
      this.#slowPublished = version ?? 2;
      this.#runtime.setVersion(slow.workflowId, {
        version: this.#slowPublished,
        steps: runtimeSteps(definition.steps),
        slow: { service: slow.service, factor: slow.factor },
      });
      this.#out(
        `published version ${String(this.#slowPublished)} of ${slow.workflowId} (publish_version command); its runs are slower from now on`,
      );
    }
    if (!this.#rolledBack && this.#slowPublished !== null && now >= storyTime(this.#lapse, slow.toMin)) {
      this.#rolledBack = true;
      this.#spawn('roll back', () =>
        this.#rollBack(slow, 'no latency insight yet; rolling back on schedule'),
      );
    }
  }

  async #rollBack(slow: SlowVersion, why: string): Promise<void> {
    await request(this.#client, {
      type: 'roll_back',
      tenantId: slow.tenantId,
      payload: { workflowId: slow.workflowId, toVersion: 1, reason: why },
    });
    const v1 = this.#definitions.get(slow.workflowId);
    if (v1 !== undefined) {
      this.#runtime.setVersion(slow.workflowId, { version: 1, steps: runtimeSteps(v1.steps), slow: null });
    }
    this.#out(`rolled ${slow.workflowId} back to version 1 (roll_back command): ${why}`);
  }

  /** One look at what the pipeline reports. */
  async poll(): Promise<void> {
    for (const insight of await this.#view.insights()) {
      const before = this.#insights.get(insight.insight_id);
      if (before === insight.state) continue;
      this.#insights.set(insight.insight_id, insight.state);
      if (before === undefined) this.#opened(insight);
      if (insight.state === 'resolved') this.#out(`${label(insight)} resolved: ${insight.description}`);
    }
    for (const s of await this.#view.sessions()) {
      const before = this.#sessions.get(s.session_id);
      if (before === s.resolution_status) continue;
      this.#sessions.set(s.session_id, s.resolution_status);
      const hypotheses = JSON.parse(s.issues_detected) as Hypothesis[];
      const recommendations = JSON.parse(s.recommendations) as Recommendation[];
      const actions = JSON.parse(s.actions_taken) as Action[];
      if (before === undefined) {
        const fix = actions.find((a) => a.action === 'published_version');
        const manual = recommendations.find((r) => !r.automatic);
        this.#out(
          `troubleshooting session ${s.session_id.slice(0, 8)} for ${s.workflow_id} (${s.tenant_id}): ${s.resolution_status}`,
        );
        this.#out(`  root cause: ${hypotheses[0]?.summary ?? 'none found'}`);
        if (fix !== undefined)
          this.#out(
            `  fix published as version ${String(fix.version)}: ${fix.resolution?.instructions ?? ''}`.trimEnd(),
          );
        else if (manual !== undefined) this.#out(`  escalated to the user: ${manual.instructions}`);
      } else {
        this.#out(
          `troubleshooting session ${s.session_id.slice(0, 8)} for ${s.workflow_id}: ${s.resolution_status}`,
        );
      }
    }
    if (!this.#forecastAsked) {
      const target = this.#story.forecastWorkflow;
      const last = await this.#view.lastHourlyWindow(target.tenantId, target.workflowId);
      if (last !== null && last >= this.#historyEnd - 2 * 3_600_000) {
        this.#forecastAsked = true;
        this.#spawn('predict', () => this.#forecast());
      }
    }
    const clock = this.#runtime.clock ?? 0;
    if (!this.#generatedLive && clock >= storyTime(this.#lapse, 12)) {
      this.#generatedLive = true;
      this.#spawn('generate', () => this.#generate());
    }
  }

  #opened(insight: InsightRow): void {
    this.#out(`${label(insight)} opened (${insight.severity}): ${insight.description}`);
    if (insight.insight_type === 'incident') {
      const workflowId = insight.related_workflows[0] ?? insight.workflow_id;
      if (workflowId !== null && !this.#troubleshot.has(workflowId)) {
        this.#troubleshot.add(workflowId);
        this.#spawn('troubleshoot', () => this.#troubleshoot(insight.tenant_id, workflowId));
      }
      if (!this.#generatedLive) {
        this.#generatedLive = true;
        this.#spawn('generate', () => this.#generate());
      }
    }
    const slow = this.#slow;
    if (
      slow !== undefined &&
      insight.insight_type === 'latency_p95' &&
      insight.workflow_id === slow.workflowId &&
      this.#slowPublished !== null &&
      !this.#rolledBack
    ) {
      this.#rolledBack = true;
      this.#spawn('roll back', () =>
        this.#rollBack(slow, `p95 latency regressed after version ${String(this.#slowPublished)}`),
      );
    }
  }

  async #troubleshoot(tenantId: string, workflowId: string): Promise<void> {
    const errorLogs = await this.#view.errorLogs(tenantId, workflowId);
    this.#out(
      `troubleshooting ${workflowId} with its ${String(errorLogs.length)} latest error logs (troubleshoot command)…`,
    );
    const { body } = await request(this.#client, {
      type: 'troubleshoot',
      tenantId,
      payload: { workflowId, errorLogs, metricsJson: null, autoResolve: true },
    });
    const actions = (body as { actions?: Action[] }).actions ?? [];
    const fix = actions.find((a) => a.action === 'published_version');
    if (fix?.version === undefined) return;
    // The runtime runs the fixed version from now on, as published (read back from ClickHouse).
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const definition = (await this.#view.definition(workflowId, fix.version)) as
        GeneratedDefinition | undefined;
      if (definition !== undefined) {
        this.#runtime.setVersion(workflowId, {
          version: fix.version,
          steps: runtimeSteps(definition.steps),
          slow: null,
        });
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async #forecast(): Promise<void> {
    const target = this.#story.forecastWorkflow;
    const { body } = await request(this.#client, {
      type: 'predict',
      tenantId: target.tenantId,
      payload: {
        workflowId: target.workflowId,
        workflowJson: null,
        historicalDataJson: null,
        predictionHorizonHours: 168,
      },
    });
    const lines = forecastSummary(body as Parameters<typeof forecastSummary>[0]);
    this.#out(`forecast for ${target.workflowId}, next 7 days (predict command):`);
    for (const line of lines) this.#out(`  ${line}`);
  }

  async #generate(): Promise<void> {
    const g = this.#story.liveGeneration;
    const { body, workflowId } = await request(this.#client, {
      type: 'generate',
      tenantId: g.tenantId,
      payload: {
        description: g.description,
        strategy: 'reliability',
        workflowId: null,
        selectedServices: [],
      },
    });
    const generated = body as {
      workflow?: GeneratedDefinition & {
        steps: {
          retry: { maxAttempts: number; initialDelayMs: number; backoff: string };
          concurrency: number;
        }[];
        prediction: { successRate: number; evidence: { message: string }[] };
      };
    };
    const w = generated.workflow;
    if (w === undefined) return;
    this.#out(
      `generated workflow ${workflowId ?? w.workflowId} from "${g.description}" (generate command): ${w.name}`,
    );
    for (const s of w.steps) {
      this.#out(
        `  ${s.stepId} on ${s.service}: ${String(s.retry.maxAttempts)} attempts, ${s.retry.backoff} backoff from ${String(s.retry.initialDelayMs)} ms, concurrency ${String(s.concurrency)}`,
      );
    }
    const evidence = w.prediction.evidence.find((e) => /slack/i.test(e.message)) ?? w.prediction.evidence[0];
    if (evidence !== undefined) this.#out(`  because: ${evidence.message}`);
  }

  /** Waits for reactions still running. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}

function label(insight: InsightRow): string {
  if (insight.insight_type === 'incident') return `incident [${insight.tenant_id}]`;
  return `insight ${insight.insight_type} [${insight.tenant_id}${insight.workflow_id === null ? '' : ` ${insight.workflow_id}`}]`;
}
