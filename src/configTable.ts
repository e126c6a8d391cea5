// The README's configuration table, made from the config schema.
import { describeConfig } from './config.ts';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configTableMarkdown(): string {
  const rows = describeConfig().map((r) => [
    `\`${r.name}\``,
    r.default === '(unset)' ? '(unset)' : r.default === '' ? '(empty)' : `\`${r.default}\``,
    r.description,
  ]);
  const header = ['setting', 'default', 'meaning'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Replaces the table between the README's markers (or the first table after `## Configuration`). */
export function replaceConfigTable(readme: string, table: string): string {
  const block = `${START}\n\n${table}\n\n${END}`;
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start !== -1 && end > start) return readme.slice(0, start) + block + readme.slice(end + END.length);
  const section = readme.indexOf('## Configuration');
  const first = readme.indexOf('\n| setting', section);
  if (section === -1 || first === -1) throw new Error('README has no configuration table');
  let last = first + 1;
  while (readme.startsWith('|', last)) last = readme.indexOf('\n', last) + 1;
  return readme.slice(0, first + 1) + block + '\n' + readme.slice(last);
}
