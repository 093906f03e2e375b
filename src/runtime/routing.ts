/**
 * The routing table as notify and the worker read it: given inline (validated with the configuration), or the
 * SSM parameter, read every 5 minutes.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { RoutingTableSource } from '../app/routing-port';
import { fixedRoutingTable, RoutingTextSource } from '../app/routing-table';
import type { Config } from '../config';
import { onDemandSecrets } from './on-demand';

/** The configured routing table's source; `undefined` when none is configured (every change to its level's). */
export function routingSource(
  config: Config,
  options: { cloudTrailRegion: string },
  ssm: SSMClient | undefined,
  log: ((message: string, details?: Record<string, unknown>) => void) | undefined,
): RoutingTableSource | undefined {
  if (config.routing.table) return fixedRoutingTable(config.routing.table);
  const parameter = config.routing.parameter;
  if (!parameter) return undefined;
  const read = onDemandSecrets(options, ssm);
  return new RoutingTextSource({
    read: () => read(parameter),
    clock: { now: () => new Date() },
    ...(log ? { log } : {}),
  });
}
