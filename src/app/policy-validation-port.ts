import type { DocumentToValidate, PolicyValidation, ValidationFinding } from '../domain/policy-validation';

/** What validating one document gave: its findings, or why the validator could not answer. */
export type DocumentValidation = { findings: ValidationFinding[] } | { unavailable: string };

/**
 * AWS's own policy validator (IAM Access Analyzer `ValidatePolicy`). Contract: never throws for what the API
 * says or fails to say — a denied, throttled, unreachable or slow API is `{ unavailable: <why> }` (the error
 * name without its `Exception` suffix, e.g. `AccessDenied`), so validation can only add to an alert, never
 * hold it back. Answers within the time the implementation was built with.
 */
export interface PolicyValidator {
  validate(document: DocumentToValidate): Promise<DocumentValidation>;
}

/**
 * Validates every document of a change, one after the other. Once the API said it is unavailable, the rest is
 * not asked (the same answer would come back, slowly): the result is `unavailable` with what was found so far.
 */
export async function validateDocuments(
  validator: PolicyValidator,
  documents: readonly DocumentToValidate[],
): Promise<PolicyValidation> {
  const findings: ValidationFinding[] = [];
  for (const document of documents) {
    const result = await validator.validate(document);
    if ('unavailable' in result) return { status: 'unavailable', reason: result.unavailable, findings };
    findings.push(...result.findings);
  }
  return { status: 'validated', findings };
}
