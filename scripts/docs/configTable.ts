// Rewrites the README's configuration table from the config schema (src/config.ts), so the two
// never drift apart; test/unit/config.test.ts fails when the README is out of date.
//
//   node scripts/docs/configTable.ts          rewrite README.md in place
//   node scripts/docs/configTable.ts --check  exit 1 if README.md is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, replaceConfigTable } from '../../src/configTable.ts';

const readme = path.resolve(import.meta.dirname, '..', '..', 'README.md');
const before = readFileSync(readme, 'utf8');
const after = replaceConfigTable(before, configTableMarkdown());
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write(
      'README.md configuration table is out of date: run node scripts/docs/configTable.ts\n',
    );
    process.exit(1);
  }
} else writeFileSync(readme, after);
