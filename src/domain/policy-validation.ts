/**
 * AWS's own judgement of a policy document: IAM Access Analyzer `ValidatePolicy` findings, as data. Pure: the
 * call itself is behind the `PolicyValidator` port (src/app/policy-validation-port.ts).
 *
 * Which findings go where: SECURITY_WARNING and ERROR findings join the alert's reasons (a security warning
 * raises the level to at least medium; an error does not, since IAM accepted the document); the diff view
 * also lists WARNING findings (style and redundancy: a missing `Version`, an action listed twice). SUGGESTION
 * findings are dropped: they say how to write the document, not what it grants.
 */
import { maxLevel } from './risk/levels';
import type { AssessedChange, Change } from './types';

/** The finding types `ValidatePolicy` reports, most serious first. */
export const VALIDATION_FINDING_TYPES = ['SECURITY_WARNING', 'ERROR', 'WARNING', 'SUGGESTION'] as const;

export type ValidationFindingType = (typeof VALIDATION_FINDING_TYPES)[number];

/** The finding types shown among an alert's reasons. */
export const ALERT_FINDING_TYPES: readonly ValidationFindingType[] = ['SECURITY_WARNING', 'ERROR'];

/** The finding types shown in the diff view. */
export const DIFF_FINDING_TYPES: readonly ValidationFindingType[] = ['SECURITY_WARNING', 'ERROR', 'WARNING'];

/** A document of a change as Access Analyzer takes it. */
export interface DocumentToValidate {
  /** The `requestParameters` field it came from (`policyDocument`, `assumeRolePolicyDocument`). */
  field: string;
  /** `identity`: a permissions policy (IDENTITY_POLICY); `trust`: a role trust policy. */
  kind: 'identity' | 'trust';
  /** The document text exactly as the request carried it. */
  text: string;
}

/** One finding on one document. */
export interface ValidationFinding {
  field: string;
  type: ValidationFindingType;
  /** Access Analyzer's issue code, e.g. `PASS_ROLE_WITH_STAR_IN_RESOURCE`. */
  issueCode: string;
  /** Access Analyzer's explanation (it may quote the document: render it escaped). */
  detail: string;
  learnMoreLink?: string;
}

/** What validating a change's documents gave. */
export type PolicyValidation =
  | { status: 'validated'; findings: ValidationFinding[] }
  /** The API could not answer (denied, throttled, unreachable, too slow): why, in a word or a few. */
  | { status: 'unavailable'; reason: string; findings: ValidationFinding[] };

/**
 * The documents a change sets, to validate: new or changed permissions (CreatePolicy, CreatePolicyVersion,
 * Put…Policy) and trust policies (CreateRole, UpdateAssumeRolePolicy). Only for calls that succeeded — a
 * failed call changed nothing — and only text the request really carried.
 */
export function documentsToValidate(change: Change): DocumentToValidate[] {
  if (change.outcome !== 'success') return [];
  const out: DocumentToValidate[] = [];
  for (const entry of change.documents) {
    const raw = change.requestParameters?.[entry.field];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    out.push({ field: entry.field, kind: entry.role === 'trust' ? 'trust' : 'identity', text: raw });
  }
  return out;
}

const TYPE_WORDS: Record<ValidationFindingType, string> = {
  ERROR: 'error',
  SECURITY_WARNING: 'security warning',
  WARNING: 'warning',
  SUGGESTION: 'suggestion',
};

/** `AWS Access Analyzer security warning (PASS_ROLE_WITH_STAR_IN_RESOURCE): …`, one line. */
export function describeFinding(finding: ValidationFinding): string {
  const detail = finding.detail.replace(/\s+/g, ' ').trim();
  return `AWS Access Analyzer ${TYPE_WORDS[finding.type]} (${finding.issueCode})${detail ? `: ${detail}` : ''}`;
}

/** The line the alert shows when validation could not run. */
export function unavailableNote(validation: PolicyValidation): string | undefined {
  return validation.status === 'unavailable'
    ? `AWS policy validation unavailable: ${validation.reason}`
    : undefined;
}

function rank(type: ValidationFindingType): number {
  return VALIDATION_FINDING_TYPES.indexOf(type);
}

/** Findings of the given types, most serious first, each once. */
export function findingsOf(
  validation: PolicyValidation | undefined,
  types: readonly ValidationFindingType[],
): ValidationFinding[] {
  if (validation === undefined) return [];
  const seen = new Set<string>();
  return validation.findings
    .filter((finding) => types.includes(finding.type))
    .sort((a, b) => rank(a.type) - rank(b.type))
    .filter((finding) => {
      const key = `${finding.field}|${finding.type}|${finding.issueCode}|${finding.detail}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * The change with its validation: kept on the change (the diff view reads it), its security warnings and
 * errors added to the reasons, a security warning raising the level to at least medium. An unavailable API
 * changes nothing but the note the alert shows.
 */
export function withValidation(change: AssessedChange, validation: PolicyValidation): AssessedChange {
  const shown = findingsOf(validation, ALERT_FINDING_TYPES);
  if (shown.length === 0) return { ...change, validation };
  const warned = shown.some((finding) => finding.type === 'SECURITY_WARNING');
  return {
    ...change,
    validation,
    risk: {
      ...change.risk,
      level: warned ? maxLevel([change.risk.level, 'medium']) : change.risk.level,
      reasons: [...change.risk.reasons, ...shown.map(describeFinding)],
      rules: warned || shown.length > 0 ? [...change.risk.rules, 'access-analyzer'] : change.risk.rules,
    },
  };
}

/**
 * The change validated again (the worker's retry of a validation that was unavailable): the reasons the earlier
 * validation added are taken out and the new one's put in. The level is kept — what raised it is still shown,
 * or was shown on an alert people may have acted on.
 */
export function revalidated(change: AssessedChange, validation: PolicyValidation): AssessedChange {
  const earlier = new Set(findingsOf(change.validation, ALERT_FINDING_TYPES).map(describeFinding));
  const rules = change.risk.rules;
  const at = earlier.size > 0 ? rules.indexOf('access-analyzer') : -1;
  return withValidation(
    {
      ...change,
      risk: {
        ...change.risk,
        reasons: change.risk.reasons.filter((reason) => !earlier.has(reason)),
        rules: at === -1 ? rules : [...rules.slice(0, at), ...rules.slice(at + 1)],
      },
    },
    validation,
  );
}
