/**
 * Shared by the benchmarks that drive the real notify handler with many notifications: the invocations run as
 * Lambda would run them, and what Slack ended up showing.
 */
/**
 * Hands every event to `handler`, `concurrency` invocations at once as Lambda would run them; a failed invocation is
 * retried up to three times, as SNS retries it. Resolves the number of failed attempts.
 */
export async function invokeConcurrently<E, C>(
  handler: (event: E, context: C) => Promise<unknown>,
  events: readonly E[],
  context: C,
  concurrency: number,
): Promise<number> {
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < events.length) {
      const event = events[next++] as E;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await handler(event, context);
          break;
        } catch {
          failed += 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failed;
}

/** Event ids a message stands for: its Acknowledge button's value, and its thread lines' menus. */
export function representedIds(blocks: unknown): string[] {
  const ids: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const element = node as { action_id?: unknown; value?: unknown };
    if (element.action_id === 'change.acknowledge' && typeof element.value === 'string')
      ids.push(element.value);
    if (typeof element.action_id === 'string' && element.action_id.startsWith('change.menu:')) {
      ids.push(element.action_id.slice('change.menu:'.length));
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(blocks);
  return ids;
}
