import {
  AccessAnalyzerClient,
  ValidatePolicyCommand,
  type ValidatePolicyCommandOutput,
  type ValidatePolicyFinding,
} from '@aws-sdk/client-accessanalyzer';
import type { DocumentValidation, PolicyValidator } from '../app/policy-validation-port';
import {
  type DocumentToValidate,
  VALIDATION_FINDING_TYPES,
  type ValidationFinding,
  type ValidationFindingType,
} from '../domain/policy-validation';
import { type AwsClientOptions, awsClientConfig } from './client-config';

/** How long notify waits for all pages of one document's validation before saying it is unavailable. */
export const VALIDATION_TIMEOUT_MS = 2_500;

/** Pages of findings read per document: a document with more findings than that is not a document to trust. */
const MAX_PAGES = 5;

/** How {@link AccessAnalyzerPolicyValidator} waits. */
export interface PolicyValidatorOptions {
  /** Milliseconds for one document, all pages (default {@link VALIDATION_TIMEOUT_MS}). */
  timeoutMs?: number;
}

function findingType(value: string | undefined): ValidationFindingType | undefined {
  return VALIDATION_FINDING_TYPES.find((type) => type === value);
}

function toFinding(field: string, finding: ValidatePolicyFinding): ValidationFinding | undefined {
  const type = findingType(finding.findingType);
  if (type === undefined) return undefined;
  return {
    field,
    type,
    issueCode: finding.issueCode ?? 'UNKNOWN',
    detail: finding.findingDetails ?? '',
    ...(finding.learnMoreLink ? { learnMoreLink: finding.learnMoreLink } : {}),
  };
}

/** `AccessDeniedException` → `AccessDenied`: the short name the alert shows. */
function reasonOf(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'AbortError' || error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const name = error.name && error.name !== 'Error' ? error.name : (error.message.split('\n')[0] ?? 'error');
  return name.replace(/Exception$/, '');
}

/**
 * {@link PolicyValidator} on IAM Access Analyzer `ValidatePolicy`: a permissions document as IDENTITY_POLICY, a
 * trust document as RESOURCE_POLICY of resource type `AWS::IAM::AssumeRolePolicyDocument`. Every failure is an
 * answer (`unavailable`), never an exception; the whole validation of one document is bounded by the timeout.
 */
export class AccessAnalyzerPolicyValidator implements PolicyValidator {
  readonly #client: AccessAnalyzerClient;
  readonly #timeoutMs: number;

  constructor(client: AccessAnalyzerClient, options: PolicyValidatorOptions = {}) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs ?? VALIDATION_TIMEOUT_MS;
  }

  async validate(document: DocumentToValidate): Promise<DocumentValidation> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    // The SDK aborts the request on the signal; the race also ends a wait the request handler does not see.
    const expired = new Promise<never>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    expired.catch(() => undefined);
    const findings: ValidationFinding[] = [];
    let nextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const output: ValidatePolicyCommandOutput = await Promise.race([
          this.#client.send(
            new ValidatePolicyCommand({
              policyDocument: document.text,
              locale: 'EN',
              ...(document.kind === 'trust'
                ? {
                    policyType: 'RESOURCE_POLICY',
                    validatePolicyResourceType: 'AWS::IAM::AssumeRolePolicyDocument',
                  }
                : { policyType: 'IDENTITY_POLICY' }),
              ...(nextToken ? { nextToken } : {}),
            }),
            { abortSignal: signal },
          ),
          expired,
        ]);
        for (const finding of output.findings ?? []) {
          const read = toFinding(document.field, finding);
          if (read) findings.push(read);
        }
        if (!output.nextToken || output.nextToken === nextToken) break;
        nextToken = output.nextToken;
      }
    } catch (error: unknown) {
      return { unavailable: reasonOf(error, this.#timeoutMs) };
    }
    return { findings };
  }
}

/**
 * An Access Analyzer client for validation: the shared timeouts, but one attempt only — notify waits for it
 * before posting, and a throttled or slow validator is reported as unavailable rather than retried.
 */
export function createPolicyValidator(
  options: AwsClientOptions = {},
  validatorOptions: PolicyValidatorOptions = {},
): AccessAnalyzerPolicyValidator {
  const client = new AccessAnalyzerClient(
    awsClientConfig(options.region, { ...options, maxAttempts: 1, requestTimeoutMs: VALIDATION_TIMEOUT_MS }),
  );
  return new AccessAnalyzerPolicyValidator(client, validatorOptions);
}
