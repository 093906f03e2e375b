import { parseJsonText } from '../domain/input';
import type { NotifyService } from './notify-service';

/** One message waiting in a dead-letter queue. */
export interface DeadLetter {
  id: string;
  body: string;
}

/** A dead-letter queue read back for a redrive. */
export interface DeadLetterQueue {
  /** Up to `max` messages, hidden from other readers while this redrive works on them. */
  receive(max: number): Promise<DeadLetter[]>;
  /** Removes a message once it has been delivered. */
  delete(message: DeadLetter): Promise<void>;
}

/** What a redrive did. */
export interface RedriveResult {
  delivered: number;
  /** Messages that failed again: left in the queue, with the reason. */
  failed: Array<{ id: string; error: string }>;
}

/**
 * Feeds the notifications of a dead-letter queue back through the notify use case. Every change is stored with
 * its delivery state, so only what is missing gets posted; a message is deleted only after it went through, and
 * one that fails again stays in the queue — as does one holding a part that still cannot be read (give `notify`
 * no dead-letter queue of its own, so such a part is not queued a second time).
 */
export async function redrive(
  queue: DeadLetterQueue,
  notify: NotifyService,
  options: { max: number },
): Promise<RedriveResult> {
  const result: RedriveResult = { delivered: 0, failed: [] };
  const seen = new Set<string>();
  while (result.delivered + result.failed.length < options.max) {
    const batch = (
      await queue.receive(Math.min(10, options.max - result.delivered - result.failed.length))
    ).filter((message) => !seen.has(message.id));
    if (batch.length === 0) break;
    for (const message of batch) {
      seen.add(message.id);
      try {
        const delivered = await notify.process(parseJsonText(message.body, 'the dead-letter message'));
        const unreadable = delivered.unreadable[0];
        if (unreadable) {
          result.failed.push({ id: message.id, error: `still unreadable: ${unreadable.reason}` });
          continue;
        }
        await queue.delete(message);
        result.delivered += 1;
      } catch (error: unknown) {
        result.failed.push({
          id: message.id,
          error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
        });
      }
    }
  }
  return result;
}
