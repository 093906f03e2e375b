/**
 * The audit log that cannot be rewritten: every entry is first written as one structured log line (CloudWatch
 * Logs, where the functions may only append), then to the table that answers queries. The line is the record of
 * truth; the table is a copy for `/iam-changes audit` and may be edited by whoever can write the table.
 */
import type { AuditEntry, AuditLog } from './audit-port';

/**
 * The fixed message of every audit line; with the `audit: true` field it finds them all (a metric filter
 * `{ $.audit IS TRUE }`, Logs Insights `filter audit = 1`).
 */
export const AUDIT_LINE_MESSAGE = 'audit';

/** One audit line: the entry's fields at the top level, marked `audit: true`. */
export type AuditLine = AuditEntry & { audit: true };

/**
 * Writes one structured log line (the handler's logger: `logger.info(message, fields)` prints one JSON object).
 * It must not drop the line: give it a logger whose level lets `info` through.
 */
export type AuditLineWriter = (message: typeof AUDIT_LINE_MESSAGE, line: AuditLine) => void;

/** {@link AuditLog} that writes each entry as a log line before handing it to the table copy. */
export class LoggedAuditLog implements AuditLog {
  constructor(
    private readonly table: AuditLog,
    private readonly write: AuditLineWriter,
  ) {}

  /** The line first: if the table write then fails, the entry is still on record (and the caller sees the error). */
  async append(entry: AuditEntry): Promise<void> {
    this.write(AUDIT_LINE_MESSAGE, { audit: true, ...entry });
    await this.table.append(entry);
  }

  list(since: Date, limit: number): Promise<AuditEntry[]> {
    return this.table.list(since, limit);
  }
}
