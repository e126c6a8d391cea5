// Dead letters: the original bytes of a message that cannot be processed, with the reason in
// headers, so nothing is lost and an operator can fix and replay it.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: string;
  readonly sourceTimestamp: string;
  readonly stage: 'decode' | 'validate' | 'transform';
  readonly errorClass: string;
  readonly reason: string;
  readonly message: string;
}

export const DLQ_HEADERS = {
  errorClass: 'pulse.error.class',
  reason: 'pulse.error.reason',
  message: 'pulse.error.message',
  stage: 'pulse.stage',
  sourceTopic: 'pulse.source.topic',
  sourcePartition: 'pulse.source.partition',
  sourceOffset: 'pulse.source.offset',
  sourceTimestamp: 'pulse.source.timestamp',
} as const;

export function deadLetterMessage(letter: DeadLetter): Message {
  const headers: IHeaders = {
    [DLQ_HEADERS.errorClass]: letter.errorClass,
    [DLQ_HEADERS.reason]: letter.reason,
    [DLQ_HEADERS.message]: letter.message.slice(0, 4000),
    [DLQ_HEADERS.stage]: letter.stage,
    [DLQ_HEADERS.sourceTopic]: letter.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(letter.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: letter.sourceOffset,
    [DLQ_HEADERS.sourceTimestamp]: letter.sourceTimestamp,
  };
  return { key: letter.key, value: letter.value, headers };
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** A stage's refused records of a chunk as dead letters, each with its original key, value and time. */
export function rejectedMessages(
  sourceTopic: string,
  sourcePartition: number,
  chunk: readonly KafkaMessage[],
  rejected: readonly ({ readonly offset: string } & Pick<
    DeadLetter,
    'stage' | 'errorClass' | 'reason' | 'message'
  >)[],
): Message[] {
  const byOffset = new Map(chunk.map((m) => [m.offset, m]));
  return rejected.map((r) => {
    const original = byOffset.get(r.offset);
    return deadLetterMessage({
      stage: r.stage,
      errorClass: r.errorClass,
      reason: r.reason,
      message: r.message,
      sourceOffset: r.offset,
      key: original?.key ?? null,
      value: original?.value ?? null,
      sourceTopic,
      sourcePartition,
      sourceTimestamp: original?.timestamp ?? '',
    });
  });
}
