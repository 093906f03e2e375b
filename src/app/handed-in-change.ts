/**
 * A job reads its change once and hands the read on to the use cases it calls (`given`). A read handed in is
 * used only for the change it names: one of another change's item (a bug, a job naming one change and carrying
 * another's read) is never trusted for this one, which is then read from the store. What a handed-in read may
 * decide is the use case's own rule: a refusal or a conditional write is decided by the store (see
 * `quarantine-service.ts`, `revert-service.ts`).
 */

/** True when `given` is a read of the change `eventId`. */
export function namesChange<T extends { change: { eventId: string } }>(
  eventId: string,
  given: T | undefined,
): given is T {
  return given?.change.eventId === eventId;
}

/** The change `given` when it is a read of `eventId`, else read from `store` (`undefined` when not stored). */
export async function handedInOrRead<T extends { change: { eventId: string } }>(
  eventId: string,
  given: T | undefined,
  store: { getChange(eventId: string): Promise<T | undefined> },
): Promise<T | undefined> {
  return namesChange(eventId, given) ? given : store.getChange(eventId);
}
