import { parseArgs } from 'node:util';
import { evaluateCis44Coverage } from '../domain/cis44-coverage';
import { type CliCommand, readSource, UsageError, writeJson } from './command';

const USAGE = `usage: iam-changes check-pattern PATTERN [--compact]
       iam-changes check-pattern - [--compact]       (the pattern on standard input)

Judges a CloudWatch Logs metric filter pattern the way the audit does: which of the 16 calls
CIS AWS Foundations Benchmark 4.4 counts it counts for EVERY record of the call, whoever makes it
(user, role, root, SSO), from wherever, whatever its outcome (failed calls included). Fields the
call fixes (eventName, eventSource, readOnly, eventType, managementEvent, eventCategory) are known;
every other field may take any value. Prints
{"valid": true|false, "error"?: "...", "position"?: N, "covered": [...],
 "partial": [{"eventName": "...", "condition": "only when ..."}], "missing": [...]}
covered: counted for every record; partial: counted only when the condition holds; missing: every
call not fully covered (the partial ones included).
A pattern starting with "-" (an excluded term) goes after "--": iam-changes check-pattern -- '-DEBUG'.
Read from standard input, one trailing newline is dropped.

exit codes: 0 all 16 calls fully covered, 1 some missing or partial, 2 the pattern is invalid (the error names the
position) or bad usage`;

/**
 * `iam-changes check-pattern PATTERN|-`: which of the 16 CIS 4.4 calls a metric filter pattern counts for
 * every record (`covered`), only for some (`partial`, with the restricting condition in words) or not fully
 * (`missing`). Exit 0 when all 16 are fully covered, 1 when any is missing or partial, 2 when the pattern is invalid (the JSON is still
 * printed, and one line on stderr names the position).
 */
export const checkPatternCommand: CliCommand = {
  name: 'check-pattern',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { compact: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'give the PATTERN, or - to read it from standard input'
          : `give one PATTERN (got ${positionals.length}); quote it so the shell keeps it whole`,
      );
    }
    const argument = positionals[0] as string;
    const pattern = argument === '-' ? (await readSource('-', io)).replace(/\r?\n$/, '') : argument;
    const coverage = evaluateCis44Coverage(pattern);
    writeJson(io, coverage, values.compact);
    if (!coverage.valid) {
      io.stderr.write(`iam-changes: invalid filter pattern: ${coverage.error ?? 'unreadable'}\n`);
      return 2;
    }
    return coverage.missing.length === 0 ? 0 : 1;
  },
};
