// The embedded engine's writing sessions: chDB runs one statement at a time per session, so a
// statement must go to the session with the fewest in flight, never queue behind a busy one while
// another is idle.
import { describe, expect, it } from 'vitest';
import { EngineSessions } from '../../../src/adapters/clickhouse/clickhouseStore.ts';

function deferredSession(name: string, log: string[]) {
  const pending: (() => void)[] = [];
  return {
    pending,
    query: (sql: string) =>
      new Promise<unknown>((resolve) => {
        log.push(`${name}:${sql}`);
        pending.push(() => {
          resolve(name);
        });
      }),
  };
}

describe('EngineSessions', () => {
  it('sends each statement to the session with the fewest in flight', async () => {
    const log: string[] = [];
    const a = deferredSession('a', log);
    const b = deferredSession('b', log);
    const c = deferredSession('c', log);
    const sessions = new EngineSessions([a.query, b.query, c.query]);
    const first = sessions.run('1');
    const second = sessions.run('2');
    const third = sessions.run('3');
    // Every session busy once: the fourth goes to the first again.
    const fourth = sessions.run('4');
    expect(log).toEqual(['a:1', 'b:2', 'c:3', 'a:4']);
    // b finishes: it is now the least busy, ahead of a (two in flight) and c (one).
    b.pending.shift()?.();
    await expect(second).resolves.toBe('b');
    void sessions.run('5');
    expect(log.at(-1)).toBe('b:5');
    for (const s of [a, b, c]) for (const done of s.pending.splice(0)) done();
    await expect(Promise.all([first, third, fourth])).resolves.toEqual(['a', 'c', 'a']);
  });

  it('frees a session whose statement failed', async () => {
    const log: string[] = [];
    let fail = true;
    const a = (sql: string): Promise<unknown> => {
      log.push(`a:${sql}`);
      return fail ? Promise.reject(new Error('boom')) : Promise.resolve('a');
    };
    const b = deferredSession('b', log);
    const sessions = new EngineSessions([a, b.query]);
    await expect(sessions.run('1')).rejects.toThrow('boom');
    fail = false;
    // a holds nothing in flight after its failure, b nothing yet: the first session is chosen.
    await expect(sessions.run('2')).resolves.toBe('a');
    expect(log).toEqual(['a:1', 'a:2']);
  });
});
