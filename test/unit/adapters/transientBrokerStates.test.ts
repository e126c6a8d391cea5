import { describe, expect, it } from 'vitest';
import { TransientBrokerStates } from '../../../src/adapters/kafka/kafkaClient.ts';

describe('TransientBrokerStates', () => {
  it('keeps a broker that is still loading quiet, and warns once when it lasts past 5 s', () => {
    const states = new TransientBrokerStates();
    const verdicts = [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000].map((t) =>
      states.judge(
        "Response GroupCoordinator The coordinator is loading and hence can't process requests",
        t,
      ),
    );
    expect(verdicts).toEqual(['quiet', 'quiet', 'quiet', 'quiet', 'quiet', 'persisting', 'quiet', 'quiet']);
  });

  it('starts a new streak after a quiet gap, and tells kinds apart', () => {
    const states = new TransientBrokerStates();
    expect(states.judge('The coordinator is not aware of this member', 0)).toBe('quiet');
    expect(states.judge('The coordinator is not aware of this member', 4000)).toBe('quiet');
    // 4 s after the last one: a new streak, so no warning at 8 s either.
    expect(states.judge('The coordinator is not aware of this member', 8000)).toBe('quiet');
    expect(states.judge('There is no leader for this topic-partition', 8000)).toBe('quiet');
  });

  it('leaves every other error alone', () => {
    const states = new TransientBrokerStates();
    expect(states.judge('Not authorized to access topics: [Topic authorization failed]', 0)).toBe('other');
    expect(states.judge('The request included a message larger than the max message size', 0)).toBe('other');
  });
});
