// The output contract of `pulse services detect --json/--jsonl`, tested without spawning the CLI:
// exactly {"services":[{"id","name","confidence"}]} per line, an error line for bad input, order kept.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectJsonl, detectJsonLine } from '../../../src/cli/commands/servicesCommand.ts';
import { compileCatalog } from '../../../src/core/services/detectServices.ts';
import { defaultCatalog } from '../../../src/core/services/serviceCatalog.ts';

const matcher = compileCatalog(defaultCatalog());

async function run(input: string): Promise<{ lines: string[]; failed: number }> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const failed = await detectJsonl(matcher, Readable.from([input]), out);
  out.end();
  const lines = chunks.join('').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { lines, failed };
}

describe('detect contract', () => {
  it('prints exactly {"services":[{"id","name","confidence"}]}', () => {
    const { output, error } = detectJsonLine(matcher, '{"text":"Send Slack alerts from Google Sheets"}');
    expect(error).toBeUndefined();
    expect(output).not.toContain('\n');
    const parsed = JSON.parse(output) as { services: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['services']);
    for (const s of parsed.services) {
      expect(Object.keys(s)).toEqual(['id', 'name', 'confidence']);
      expect(typeof s.id).toBe('string');
      expect(typeof s.name).toBe('string');
      expect(typeof s.confidence).toBe('number');
      expect(String(s.confidence)).toMatch(/^(0(\.\d{1,2})?|1)$/);
    }
    expect(parsed.services.map((s) => s.id).sort()).toEqual(['google-sheets', 'slack']);
  });

  it('ignores other fields of an input line', () => {
    const { output } = detectJsonLine(
      matcher,
      '{"services":["x"],"text":"Post to Discord","source":"a.json"}',
    );
    expect(JSON.parse(output)).toEqual({ services: [{ id: 'discord', name: 'Discord', confidence: 0.95 }] });
  });

  it.each([
    ['not json', /invalid JSON/],
    ['', /invalid JSON/],
    ['[1,2]', /JSON object/],
    ['{"text": 5}', /"text"/],
    ['{"title": "x"}', /"text"/],
    ['null', /JSON object/],
  ])('answers a bad line %j with an error object', (line, message) => {
    const { output, error } = detectJsonLine(matcher, line);
    expect(error).toMatch(message);
    const parsed = JSON.parse(output) as { services: unknown[]; error: string };
    expect(Object.keys(parsed)).toEqual(['services', 'error']);
    expect(parsed.services).toEqual([]);
  });

  it('streams one output line per input line, in order, and counts bad lines', async () => {
    const input = [
      '{"text":"Post to Slack"}',
      'oops',
      '{"text":"Gmail to Notion"}',
      '{"text":"nothing here"}',
    ].join('\n');
    const { lines, failed } = await run(`${input}\n`);
    expect(failed).toBe(1);
    expect(lines).toHaveLength(4);
    const parsed = lines.map((l) => JSON.parse(l) as { services: { id: string }[]; error?: string });
    expect(parsed[0]?.services.map((s) => s.id)).toEqual(['slack']);
    expect(parsed[1]?.error).toBeDefined();
    expect(parsed[2]?.services.map((s) => s.id).sort()).toEqual(['gmail', 'notion']);
    expect(parsed[3]).toEqual({ services: [] });
  });

  it('reads CRLF input and a last line without newline', async () => {
    const { lines, failed } = await run('{"text":"Post to Slack"}\r\n{"text":"Post to Discord"}');
    expect(failed).toBe(0);
    expect(lines.map((l) => (JSON.parse(l) as { services: { id: string }[] }).services[0]?.id)).toEqual([
      'slack',
      'discord',
    ]);
  });

  it('keeps up with many lines', async () => {
    const input = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ text: `Line ${i}: Slack alert with GPT-4o` }),
    ).join('\n');
    const { lines, failed } = await run(input);
    expect(failed).toBe(0);
    expect(lines).toHaveLength(3000);
  });
});
