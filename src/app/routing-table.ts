/**
 * The routing table as the notify path reads it: text from wherever it is kept (an SSM parameter), parsed and
 * validated, kept for a few minutes so an edited parameter takes effect without a deploy, and — whatever goes
 * wrong — an empty table (the per-level channels) with one log line, never a held-back message.
 */
import { parseRoutingTable, type RoutingRule, RoutingTableError } from '../domain/routing';
import type { Clock } from './ports';
import type { RoutingTableSource } from './routing-port';

/** What the routing table is read with. */
export interface RoutingTextDependencies {
  /** The table's JSON text (an empty text is no table); throws when it cannot be read. */
  read: () => Promise<string>;
  clock: Clock;
  log?: (message: string, details?: Record<string, unknown>) => void;
  /** How long a table read is used before it is read again (default 300 seconds). */
  refreshSeconds?: number;
}

/** {@link RoutingTableSource} over a text that may change, be unreadable or be invalid. */
export class RoutingTextSource implements RoutingTableSource {
  private cached?: { rules: RoutingRule[]; readAt: number };
  private inFlight?: Promise<RoutingRule[]>;

  constructor(private readonly deps: RoutingTextDependencies) {}

  async table(): Promise<RoutingRule[]> {
    const now = this.deps.clock.now().getTime();
    if (this.cached && now - this.cached.readAt < (this.deps.refreshSeconds ?? 300) * 1000)
      return this.cached.rules;
    this.inFlight ??= this.load(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(now: number): Promise<RoutingRule[]> {
    const log = this.deps.log ?? (() => {});
    let rules: RoutingRule[] = [];
    try {
      rules = parseRoutingTable(await this.deps.read());
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      log(
        error instanceof RoutingTableError
          ? `routing table invalid, using the per-level channels: ${reason}`
          : `routing table could not be read, using the per-level channels: ${reason}`,
      );
    }
    this.cached = { rules, readAt: now };
    return rules;
  }
}

/** A fixed table (already validated): the local runtime and tests. */
export function fixedRoutingTable(rules: readonly RoutingRule[]): RoutingTableSource {
  return { table: async () => [...rules] };
}
