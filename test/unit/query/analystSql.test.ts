import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAnalystSql, type SqlRefusal } from '../../../src/core/query/analystSql.ts';

function refusal(sql: string): SqlRefusal | undefined {
  const verdict = checkAnalystSql(sql);
  if (!verdict.ok) expect(verdict.message, sql).toBeTruthy();
  return verdict.ok ? undefined : verdict.reason;
}

describe('analyst SQL', () => {
  it.each([
    'SELECT 1',
    'select count() from pulse.workflow_executions where tenant_id = {t:String}',
    'SELECT 1;',
    '  -- a comment first\n SELECT 1',
    '/* leading */ SELECT 1',
    'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
    'SHOW TABLES FROM pulse',
    'DESCRIBE TABLE pulse.workflow_metrics_1m',
    'DESC pulse.workflow_metrics_1m',
    'EXPLAIN SELECT * FROM pulse.workflow_executions',
    'EXISTS TABLE pulse.workflow_executions',
    '(SELECT 1) UNION ALL (SELECT 2)',
    // Keywords inside strings and quoted identifiers are data, not SQL.
    "SELECT 'DROP TABLE x; INSERT INTO y SETTINGS a=1 INTO OUTFILE' AS s",
    "SELECT 'it''s; SET x = 1'",
    "SELECT 'a\\'; DROP TABLE t; --'",
    'SELECT `file`(1) FROM t',
    'SELECT "settings", "into" FROM t',
    'SELECT url FROM t WHERE file = 1',
    'SELECT 1 -- ; DROP TABLE t',
    'SELECT 1 # SETTINGS max_threads = 64',
  ])('lets a query through: %s', (sql) => {
    expect(checkAnalystSql(sql)).toEqual({ ok: true });
  });

  it.each<[string, SqlRefusal]>([
    ['INSERT INTO pulse.t VALUES (1)', 'not_a_query'],
    ['DROP TABLE pulse.workflow_executions', 'not_a_query'],
    ['ALTER TABLE pulse.t DELETE WHERE 1', 'not_a_query'],
    ['SYSTEM SHUTDOWN', 'not_a_query'],
    ['SET max_result_rows = 0', 'not_a_query'],
    ['TRUNCATE TABLE pulse.t', 'not_a_query'],
    ['CREATE TABLE t (a UInt8) ENGINE = Memory', 'not_a_query'],
    ['KILL QUERY WHERE 1', 'not_a_query'],
    ["'SELECT 1'", 'not_a_query'],
    ['"SELECT" 1', 'not_a_query'],
    ['SELECT 1 SETTINGS max_result_rows = 0', 'settings_change'],
    ['select 1 settings readonly = 0', 'settings_change'],
    ['WITH 1 AS a SELECT a SETTINGS max_threads = 64', 'settings_change'],
    ["SELECT * FROM t INTO OUTFILE '/tmp/x'", 'into_outfile'],
    ["SELECT 1 into /* hidden */ outfile 'x.csv'", 'into_outfile'],
    ["SELECT 1 INTO -- hidden\n OUTFILE 'x'", 'into_outfile'],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", 'external_table_function'],
    ["SELECT * FROM url('http://169.254.169.254/', 'TSV')", 'external_table_function'],
    ["SELECT * FROM s3('https://bucket/x', 'Parquet')", 'external_table_function'],
    ["SELECT * FROM remote('other:9000', system.one)", 'external_table_function'],
    ["SELECT * FROM remoteSecure('other:9440', system.one)", 'external_table_function'],
    ["SELECT * FROM FILE('x')", 'external_table_function'],
    ["SELECT * FROM executable('x.sh', 'TSV', 'a String')", 'external_table_function'],
    ["SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'p')", 'external_table_function'],
    ["SELECT (SELECT 1 FROM url('http://x', 'TSV'))", 'external_table_function'],
    ['SELECT 1; DROP TABLE t', 'multiple_statements'],
    ['SELECT 1; SELECT 2', 'multiple_statements'],
    ['SELECT 1;;', 'multiple_statements'],
    ['SELECT 1 /* ; */ ; DROP TABLE t', 'multiple_statements'],
    ['SELECT 1 -- harmless\n; DROP TABLE t', 'multiple_statements'],
    ['/* SELECT */ DROP TABLE t', 'not_a_query'],
    ['-- SELECT\nDROP TABLE t', 'not_a_query'],
    ['# SELECT\nINSERT INTO t VALUES (1)', 'not_a_query'],
    ["SELECT 'unterminated", 'unterminated'],
    ['SELECT 1 /* DROP TABLE t; ', 'unterminated'],
    ['SELECT `x', 'unterminated'],
    ['SELECT $a$ never closed', 'heredoc'],
    ["SELECT $$; DROP TABLE t; file('x')$$", 'heredoc'],
    ['SELECT $tag$ INTO OUTFILE $tag$', 'heredoc'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['-- only a comment', 'empty'],
    [';', 'empty'],
  ])('refuses %j (%s)', (sql, reason) => {
    expect(refusal(sql)).toBe(reason);
  });

  it('never throws, and every refusal carries a reason and a message', () => {
    const fragments = fc.constantFrom(
      'SELECT',
      'select',
      ' ',
      '\n',
      ';',
      "'",
      "''",
      '"',
      '`',
      '--',
      '#',
      '/*',
      '*/',
      '$$',
      '$a$',
      '\\',
      'INTO',
      'OUTFILE',
      'SETTINGS',
      'file',
      '(',
      ')',
      'x',
      '1',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fragments, { maxLength: 40 }).map((a) => a.join('')),
        ),
        (sql) => {
          const verdict = checkAnalystSql(sql);
          if (verdict.ok) expect(verdict).toEqual({ ok: true });
          else {
            expect(verdict.reason).toBeTruthy();
            expect(verdict.message).toBeTruthy();
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses any accepted query once a second statement follows it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('DROP TABLE t', 'SELECT 2', 'INSERT INTO t VALUES (1)', 'SET a = 1'),
        (tail) => {
          expect(refusal(`SELECT 1; ${tail}`)).toBe('multiple_statements');
        },
      ),
    );
  });

  // Bypasses found while writing these tests: ClickHouse's lexer (src/Parsers/Lexer.cpp) nests
  // /* */ comments, treats `//` as a line comment and reads `$…$` as a heredoc tag, so a quote the
  // check read as a string start was a comment or heredoc to the engine.
  it.each<[string, SqlRefusal]>([
    ["SELECT 1 /* /* */ ' */ INTO OUTFILE '/tmp/x' -- '", 'into_outfile'],
    ["SELECT 1 // '\nINTO OUTFILE '/tmp/x' -- '", 'into_outfile'],
    ["SELECT $1$ ' $1$ INTO OUTFILE '/tmp/x' -- '", 'heredoc'],
    ["SELECT * FROM /* /* */ ' */ file('/etc/passwd') -- '", 'external_table_function'],
    ["SELECT 1 /* /* */ ' */ ; DROP TABLE t -- '", 'multiple_statements'],
  ])('refuses what the engine would read past the check: %j', (sql, reason) => {
    expect(refusal(sql)).toBe(reason);
  });
});
