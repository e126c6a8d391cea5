// Which settings of a step a published version changed. A step that answers 404 (or whose host
// does not resolve) on every call since its URL or configuration changed is misconfigured by that
// change, however much the single error looks like a missing record; so is one whose every call
// since the change is rejected as set up (a validation or not-found error on a renamed sheet, a
// changed option value), however much it looks like bad data.
import type { WorkflowDefinition } from '../generation/workflowDefinition.ts';

/** One changed setting; values are cut short, they end up in hypotheses a user reads. */
export interface ChangedSetting {
  readonly key: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface StepConfigChange {
  readonly stepId: string;
  readonly service: string;
  readonly version: number;
  readonly publishedAt: number;
  readonly changed: readonly ChangedSetting[];
}

export interface PublishedVersion {
  readonly version: number;
  readonly publishedAt: number;
  /** The definition of that version, when the caller has it (needed to see what changed). */
  readonly definition?: WorkflowDefinition | null;
}

// Inputs that say where and how a step calls, as opposed to the data it sends.
const settingKey =
  /url|uri|endpoint|host|base|domain|path|route|region|webhook|instance|subdomain|site|bucket|project|account|tenant|portal|environment|\benv\b|api[_-]?version|server|database|schema|table|channel|sheet|spreadsheet|base[_-]?id|calendar|folder|list|board|workspace|org/i;
const placeholder = /\{\{[^{}]*\}\}/;
const maxShown = 120;

function shown(value: string | undefined): string | null {
  if (value === undefined) return null;
  return value.length > maxShown ? `${value.slice(0, maxShown)}…` : value;
}

/** A static value (no `{{...}}` mapping) or a key naming where the step calls counts as a setting. */
function isSetting(key: string, before: string | undefined, after: string | undefined): boolean {
  if (settingKey.test(key)) return true;
  return !placeholder.test(before ?? '') && !placeholder.test(after ?? '');
}

/**
 * Settings each version changed on steps that already existed in the version before it. Versions
 * without a definition, or whose predecessor has none, tell nothing and are skipped.
 */
export function stepConfigChanges(versions: readonly PublishedVersion[]): StepConfigChange[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const changes: StepConfigChange[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const previousVersion = sorted[i - 1];
    const after = sorted[i];
    const before = previousVersion?.definition;
    if (before == null || after?.definition == null || previousVersion?.version !== after.version - 1)
      continue;
    for (const step of after.definition.steps) {
      const previous = before.steps.find((s) => s.stepId === step.stepId);
      if (previous === undefined) continue;
      const changed: ChangedSetting[] = [];
      if (previous.service !== step.service)
        changed.push({ key: 'service', from: previous.service, to: step.service });
      if (previous.action !== step.action)
        changed.push({ key: 'action', from: previous.action, to: step.action });
      const keys = new Set([...Object.keys(previous.inputs), ...Object.keys(step.inputs)]);
      for (const key of [...keys].sort()) {
        const from = previous.inputs[key];
        const to = step.inputs[key];
        if (from === to || !isSetting(key, from, to)) continue;
        changed.push({ key, from: shown(from), to: shown(to) });
      }
      if (changed.length > 0) {
        changes.push({
          stepId: step.stepId,
          service: step.service,
          version: after.version,
          publishedAt: after.publishedAt,
          changed,
        });
      }
    }
  }
  return changes;
}

const unresolvedHost = /\b(?:ENOTFOUND|EAI_NONAME)\b/;

/**
 * A failure that says "nothing is at this address": HTTP 404/410, a not_found class, or a host that
 * does not resolve. Those are what a wrong URL produces on every call.
 */
export function isAddressFailure(failure: {
  readonly errorClass: string | null;
  readonly httpStatus: number | null;
  readonly message: string | null;
}): boolean {
  if (failure.httpStatus === 404 || failure.httpStatus === 410) return true;
  if (failure.errorClass === 'not_found') return true;
  return failure.message !== null && unresolvedHost.test(failure.message);
}

// Classes that reject the request as it is set up: no retry passes, so when they start on every
// call with a settings change, the change is their cause.
const rejectionClasses: ReadonlySet<string> = new Set(['config', 'validation', 'not_found']);

/** An address failure, or a rejection of the request as set up (config, validation, not_found). */
export function isSettingFailure(failure: {
  readonly errorClass: string | null;
  readonly httpStatus: number | null;
  readonly message: string | null;
}): boolean {
  return (
    isAddressFailure(failure) || (failure.errorClass !== null && rejectionClasses.has(failure.errorClass))
  );
}
