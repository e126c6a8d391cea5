// Summarises a V8 .cpuprofile (`node --cpu-prof`) into self time per stage of the pipeline, so
// docs/performance.md can say where each microsecond goes. Samples are attributed to the first
// matching category of the sampled frame's URL and function name (a frame's *self* time, so a
// category is what its own code costs, not what it calls).
//
// Usage: node src/bench/profileSummary.ts <file.cpuprofile> [--from µs] [--to µs] [--top 25]
//          [--callers <function name>]
//   --from/--to: monotonic clock in µs (the bench prints `phase … at <µs>` under --cpu-prof),
//   to summarise one phase of the run.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const CATEGORIES: readonly [string, (url: string, fn: string) => boolean][] = [
  ['(idle)', (_u, f) => f === '(idle)'],
  ['(garbage collector)', (_u, f) => f === '(garbage collector)'],
  ['(program / native)', (u, f) => u === '' && (f === '(program)' || f === '')],
  ['kafkajs', (u) => u.includes('/kafkajs/')],
  ['avsc (Avro)', (u) => u.includes('/avsc/')],
  ['@clickhouse/client', (u) => u.includes('/@clickhouse/')],
  ['chdb (node side)', (u) => u.includes('/chdb/')],
  ['zod', (u) => u.includes('/zod/')],
  ['ioredis', (u) => u.includes('/ioredis/')],
  ['pino / logger', (u) => u.includes('/pino') || u.endsWith('/logger.ts')],
  ['core: metrics windows', (u) => u.includes('/src/core/metrics/')],
  ['core: detection & other', (u) => u.includes('/src/core/')],
  ['runner: processor', (u) => u.endsWith('/processorRunner.ts')],
  ['runner: loader', (u) => u.endsWith('/loaderRunner.ts') || u.endsWith('/loaderDefinition.ts')],
  ['adapters: clickhouse', (u) => u.includes('/src/adapters/clickhouse/')],
  ['adapters: registry', (u) => u.includes('/src/adapters/registry/')],
  ['adapters: kafka', (u) => u.includes('/src/adapters/kafka/')],
  ['pipelines/*', (u) => u.includes('/pipelines/')],
  ['bench', (u) => u.includes('/src/bench/')],
  ['other project code', (u) => u.includes('/work/') && !u.includes('node_modules')],
  ['node internals', (u) => u.startsWith('node:')],
  ['other packages', (u) => u.includes('node_modules')],
  ['V8 builtins / native', () => true],
];

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v === undefined || !Number.isFinite(v) ? undefined : v;
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: profileSummary.ts <file.cpuprofile> [--from µs] [--to µs]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const from = arg('from') ?? -Infinity;
const to = arg('to') ?? Infinity;
const top = arg('top') ?? 25;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const callersOf = (() => {
  const i = process.argv.indexOf('--callers');
  return i === -1 ? undefined : process.argv[i + 1];
})();
const stacks = new Map<string, number>();
const frameName = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/work\/main\//, '').replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`;
const category = new Map<number, string>();
for (const n of profile.nodes) {
  const { url, functionName } = n.callFrame;
  category.set(n.id, CATEGORIES.find(([, test]) => test(url, functionName))?.[0] ?? 'other');
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let t = profile.startTime;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t < from || t > to) continue;
  const node = byId.get(profile.samples[i] ?? -1);
  if (node === undefined) continue;
  const c = category.get(node.id) ?? 'other';
  byCategory.set(c, (byCategory.get(c) ?? 0) + dt);
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === ''
      ? ''
      : ` ${url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}`;
  const key = `${functionName || '(anonymous)'}${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
  total += dt;
  if (callersOf !== undefined) {
    // every frame of the stack that contains the function, up to 6 callers above it
    const chain: string[] = [];
    let found = false;
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id);
      if (frame === undefined) break;
      if (!found && frame.callFrame.functionName === callersOf) found = true;
      if (found) chain.push(frameName(frame));
      if (chain.length > 6) break;
    }
    if (found) stacks.set(chain.join(' ← '), (stacks.get(chain.join(' ← ')) ?? 0) + dt);
  }
}

const busy = total - (byCategory.get('(idle)') ?? 0);
const pct = (us: number, of: number): string => `${((100 * us) / of).toFixed(1)} %`;
const out: string[] = [];
out.push(`window ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${pct(busy, total)})`);
out.push('', 'self time by category (share of busy time)');
for (const [c, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  if (c === '(idle)') continue;
  out.push(`  ${c.padEnd(28)} ${(us / 1e6).toFixed(2).padStart(7)} s  ${pct(us, busy).padStart(7)}`);
}
out.push('', `top ${top} functions by self time`);
for (const [f, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (f.startsWith('(idle)')) continue;
  out.push(`  ${pct(us, busy).padStart(7)}  ${f}`);
}
if (callersOf !== undefined) {
  out.push('', `stacks through ${callersOf} (total time below it)`);
  for (const [chain, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 10))
    out.push(`  ${pct(us, busy).padStart(7)}  ${chain}`);
}
process.stdout.write(out.join('\n') + '\n');
