/**
 * Where the notify path reads the routing table from (`src/aws/ssm-routing-table.ts`: a JSON SSM parameter).
 */
import type { RoutingTable } from '../domain/routing';

/**
 * The current routing table. The contract: never throws and never holds a message back — a table that cannot
 * be read or is invalid is an empty table (every change to its level's channel), with one log line saying why.
 */
export interface RoutingTableSource {
  table(): Promise<RoutingTable>;
}
