import { parseArgs } from 'node:util';
import { parseRoutingTable, RoutingTableError } from '../domain/routing';
import { type CliCommand, readSource, UsageError, writeJson } from './command';

const USAGE = `usage: iam-changes check-routing FILE [--compact]
       iam-changes check-routing - [--compact]       (the table on standard input)

Validates a routing table (a JSON array of rules: account, ou, level, event, actor → channel) the way the
notify function does, before it is deployed with --param='routingTable=...' or put in SSM, and prints the
rules as notify reads them: {"valid": true, "rules": [...]}. An invalid table prints one line on stderr
naming the rule and the field; deployed, such a table would send every change to the per-level channels.

exit codes: 0 valid, 2 invalid or bad usage`;

/** `iam-changes check-routing FILE|-`: validates a routing table as notify reads it. */
export const checkRoutingCommand: CliCommand = {
  name: 'check-routing',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { compact: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1)
      throw new UsageError('give the routing table FILE, or - to read it from standard input');
    const text = await readSource(positionals[0], io);
    try {
      writeJson(io, { valid: true, rules: parseRoutingTable(text) }, values.compact);
      return 0;
    } catch (error: unknown) {
      if (!(error instanceof RoutingTableError)) throw error;
      io.stderr.write(`iam-changes: ${error.message}\n`);
      return 2;
    }
  },
};
