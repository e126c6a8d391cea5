// The one list of Pulse's stages: `pulse run` starts them all by default, and its help, `--stages`
// and /health are generated from it.
import { NonRetriableError } from '../errors.ts';

export const STAGES = [
  'archive-loader',
  'metrics-processor',
  'metrics-loader',
  'detection-processor',
  'insights-loader',
  'command-processor',
  'definitions-loader',
  'command-results-loader',
  'sessions-loader',
  'optimizations-loader',
] as const;
export type StageName = (typeof STAGES)[number];

export function parseStages(list: string): StageName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(STAGES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new NonRetriableError(`unknown stage(s) ${unknown.join(', ')}; stages are ${STAGES.join(', ')}`);
  }
  return names as StageName[];
}
