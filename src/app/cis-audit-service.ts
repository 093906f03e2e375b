/**
 * The CIS 4.4 audit use case: gather the facts through a {@link CisAuditGateway}, judge them with the pure
 * {@link evaluateCisAudit}. Used by `iam-changes audit` and `/iam-changes status`.
 */
import { type AuditReport, type CisAuditFacts, evaluateCisAudit } from '../domain/cis-audit';

/**
 * Reads what the audit judges, in one region: the trails (with status and event selectors), the metric
 * filters on their log groups, the alarms on those filters' metrics and the SNS topics those alarms notify.
 *
 * Contract: every list is complete (all pages read). A call that fails for the account as a whole (no
 * credentials, access denied, the endpoint unreachable) rejects with an {@link AuditCallError} naming it;
 * a failure that concerns one resource only (a shadow trail's selectors read outside its home region, a
 * deleted topic, `TestMetricFilter`) is recorded in the facts instead, where the report explains it.
 */
export interface CisAuditGateway {
  gatherFacts(): Promise<CisAuditFacts>;
}

/** An AWS call the audit needs failed. The message is one line and starts with the call (`cloudtrail:DescribeTrails`). */
export class AuditCallError extends Error {
  override name = 'AuditCallError';
  /** `service:Operation` of the call that failed. */
  readonly call: string;

  constructor(call: string, message: string, options?: ErrorOptions) {
    super(`${call} failed: ${message}`, options);
    this.call = call;
  }
}

/**
 * There is no account to audit at all (the local runtime without AWS): not a failed call, so the answer is what
 * to start with rather than which permission to check. `advice` is that next step, one line.
 */
export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
  readonly advice: string;

  constructor(message: string, advice: string) {
    super(message);
    this.advice = advice;
  }
}

/**
 * Runs the CIS 4.4 audit: the report's checks, in chain order, each failed one with the `aws` commands that
 * fix it. Rejects with {@link AuditCallError} when the facts cannot be gathered.
 */
export async function runCisAudit(gateway: CisAuditGateway): Promise<AuditReport> {
  return evaluateCisAudit(await gateway.gatherFacts());
}
