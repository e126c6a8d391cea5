// Which SQL an analyst may run through the API. The engine session is read-only already
// (readonly=1 refuses writes, DDL, SET and table functions that touch files or the network); this
// check refuses, before the engine sees it, what readonly mode still lets through or what must
// never reach it: `INTO OUTFILE` (chDB writes the file even in readonly mode), several statements
// in one request, and anything that is not a query. It also names the reason, which the engine's
// messages do not always do plainly.
//
// Grammar it needs, no more, read as ClickHouse's lexer reads it (src/Parsers/Lexer.cpp): comments
// `-- …`, `// …`, `# …` / `#!…` (a `#` followed by a space or `!`) to the end of the line and
// `/* … */` nested; quoted strings ('…') and quoted identifiers ("…", `…`) as single tokens, so a
// keyword inside one never counts. Heredocs ($tag$…$tag$) are refused outright: where a `$` opens
// one is where a tokenizer and the engine could disagree, and analysts do not need them.

export type SqlRefusal =
  | 'empty'
  | 'multiple_statements'
  | 'not_a_query'
  | 'into_outfile'
  | 'settings_change'
  | 'external_table_function'
  | 'unterminated'
  | 'heredoc';

export interface SqlVerdict {
  readonly ok: boolean;
  readonly reason?: SqlRefusal;
  readonly message?: string;
}

/** Statements that only read. */
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS', '(']);

/** Table functions that read files, URLs, other databases or run programs. */
const EXTERNAL_TABLE_FUNCTIONS = new Set([
  'file',
  'filecluster',
  'url',
  'urlcluster',
  's3',
  's3cluster',
  'gcs',
  'hdfs',
  'hdfscluster',
  'azureblobstorage',
  'azureblobstoragecluster',
  'remote',
  'remotesecure',
  'cluster',
  'clusterallreplicas',
  'mysql',
  'postgresql',
  'mongodb',
  'redis',
  'sqlite',
  'jdbc',
  'odbc',
  'executable',
  'input',
  'deltalake',
  'iceberg',
  'icebergs3',
  'hudi',
  'dictionary',
  'loop',
]);

interface Token {
  readonly text: string;
  readonly kind: 'word' | 'string' | 'quoted_identifier' | 'symbol';
}

function tokenize(sql: string): Token[] | null | 'heredoc' {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (
      (c === '-' && sql.charAt(i + 1) === '-') ||
      (c === '/' && sql.charAt(i + 1) === '/') ||
      (c === '#' && (sql.charAt(i + 1) === ' ' || sql.charAt(i + 1) === '!'))
    ) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql.charAt(i + 1) === '*') {
      // Block comments nest.
      let depth = 1;
      let j = i + 2;
      while (depth > 0) {
        if (j >= sql.length) return null;
        if (sql.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (sql.startsWith('*/', j)) {
          depth--;
          j += 2;
        } else j++;
      }
      i = j;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (; j < sql.length; j++) {
        const d = sql.charAt(j);
        if (d === '\\') j++;
        else if (d === c) {
          if (sql.charAt(j + 1) === c) j++;
          else break;
        }
      }
      if (j >= sql.length) return null;
      tokens.push({ text: sql.slice(i + 1, j), kind: c === "'" ? 'string' : 'quoted_identifier' });
      i = j + 1;
    } else if (c === '$') {
      return 'heredoc';
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ text: word, kind: 'word' });
      i += word.length;
    } else {
      tokens.push({ text: c, kind: 'symbol' });
      i++;
    }
  }
  return tokens;
}

function refuse(reason: SqlRefusal, message: string): SqlVerdict {
  return { ok: false, reason, message };
}

/** Decides whether `sql` may run as an analyst query. */
export function checkAnalystSql(sql: string): SqlVerdict {
  const tokens = tokenize(sql);
  if (tokens === null) return refuse('unterminated', 'unterminated string, identifier or comment');
  if (tokens === 'heredoc')
    return refuse('heredoc', 'heredocs ($tag$…$tag$) and `$` outside strings are not allowed');
  // One trailing semicolon is harmless; anything after it is a second statement.
  const semicolon = tokens.findIndex((t) => t.kind === 'symbol' && t.text === ';');
  if (semicolon !== -1 && semicolon !== tokens.length - 1)
    return refuse('multiple_statements', 'one statement per request');
  const body = semicolon === -1 ? tokens : tokens.slice(0, semicolon);
  const first = body[0];
  if (first === undefined) return refuse('empty', 'sql must contain a query');
  const start = first.kind === 'symbol' ? first.text : first.kind === 'word' ? first.text.toUpperCase() : '';
  if (!QUERY_STARTS.has(start))
    return refuse(
      'not_a_query',
      `only read-only queries are allowed (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS), not ${first.text.slice(0, 40)}`,
    );
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (t?.kind !== 'word') continue;
    const word = t.text.toUpperCase();
    const next = body[i + 1];
    if (word === 'INTO' && next?.kind === 'word' && next.text.toUpperCase() === 'OUTFILE')
      return refuse('into_outfile', 'INTO OUTFILE is not allowed: results are returned in the response');
    if (word === 'SETTINGS' || word === 'SET')
      return refuse('settings_change', 'settings cannot be changed: the operator sets the query limits');
    if (next?.kind === 'symbol' && next.text === '(' && EXTERNAL_TABLE_FUNCTIONS.has(t.text.toLowerCase()))
      return refuse(
        'external_table_function',
        `table function ${t.text}() reads outside Pulse's tables and is not allowed`,
      );
  }
  return { ok: true };
}
