/**
 * The bot's recorded steps: before the worker makes an IAM write it records the call (account, event name, what
 * it acts on), so that when CloudTrail reports the call back, notify can tell the bot's own call from someone else
 * using the bot's role. {@link RecordingIamGateway} records every write of the IAM port; a step that could not be
 * recorded is never sent.
 */
import { createHash } from 'node:crypto';
import { callKey, stepKey } from '../domain/bot-identity';
import type { IamEntity } from '../domain/drift';
import type { PolicyDocument, RevertStep } from '../domain/types';
import type { AccessKeyStatus, IamGateway, ManagedPolicy, NewManagedPolicy } from './iam-port';
import type { Clock } from './ports';

/** One IAM call the bot is about to make. */
export interface BotStep {
  /** The account the call acts in. */
  accountId: string;
  /** The call's key ({@link callKey}): event name and what it acts on. */
  key: string;
  /** ISO time it was recorded. */
  at: string;
}

/** The recorded steps, on the bot's table (`src/store/dynamo-bot-steps.ts`). */
export interface BotStepStore {
  /** Records a step, kept until `expiresAt`. Throws on storage failure (the call must then not be made). */
  record(step: BotStep, expiresAt: Date): Promise<void>;
  /**
   * Marks one recorded, not yet matched step of `accountId` with `key`, recorded between `after` and `before`,
   * as matched by `eventId`: true when there was one (each step matches one event), false otherwise.
   */
  consume(
    accountId: string,
    key: string,
    window: { after: Date; before: Date },
    eventId: string,
  ): Promise<boolean>;
}

/** The digest of a written document in a step's key (the same on the worker's side and on notify's). */
export function documentDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** How long a recorded step waits for its CloudTrail event (EventBridge delivers within minutes). */
export const BOT_STEP_TTL_SECONDS = 6 * 3600;

const KIND_WORD: Record<IamEntity['kind'], string> = { role: 'Role', user: 'User', group: 'Group' };

function entityParams(entity: IamEntity): Record<string, string> {
  return { [`${entity.kind}Name`]: entity.name };
}

/** An {@link IamGateway} that records each write as a {@link BotStep} before making it. Reads pass through. */
export class RecordingIamGateway implements IamGateway {
  constructor(
    private readonly iam: IamGateway,
    private readonly steps: BotStepStore,
    private readonly accountId: string,
    private readonly clock: Clock,
  ) {}

  /** Whether the gateway it records for only simulates its writes. */
  get dryRun(): boolean | undefined {
    return this.iam.dryRun;
  }

  private async recordCall(key: string): Promise<void> {
    const now = this.clock.now();
    await this.steps.record(
      { accountId: this.accountId, key, at: now.toISOString() },
      new Date(now.getTime() + BOT_STEP_TTL_SECONDS * 1000),
    );
  }

  getInlinePolicy(entity: IamEntity, policyName: string): Promise<PolicyDocument | null> {
    return this.iam.getInlinePolicy(entity, policyName);
  }
  listAttachedPolicies(entity: IamEntity) {
    return this.iam.listAttachedPolicies(entity);
  }
  getManagedPolicy(policyArn: string) {
    return this.iam.getManagedPolicy(policyArn);
  }
  getPolicyVersion(policyArn: string, versionId: string) {
    return this.iam.getPolicyVersion(policyArn, versionId);
  }
  listPolicyVersions(policyArn: string) {
    return this.iam.listPolicyVersions(policyArn);
  }
  listPolicyAttachments(policyArn: string) {
    return this.iam.listPolicyAttachments(policyArn);
  }
  getRoleTrustPolicy(roleName: string) {
    return this.iam.getRoleTrustPolicy(roleName);
  }

  listAccessKeys(userName: string) {
    return this.iam.listAccessKeys(userName);
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
    await this.recordCall(callKey('UpdateAccessKey', { userName, accessKeyId }));
    await this.iam.setAccessKeyStatus(userName, accessKeyId, status);
  }

  async execute(step: RevertStep): Promise<void> {
    await this.recordCall(stepKey(step, documentDigest));
    await this.iam.execute(step);
  }

  async createManagedPolicy(policy: NewManagedPolicy): Promise<ManagedPolicy> {
    await this.recordCall(
      callKey('CreatePolicy', { policyName: policy.name, policyDocument: policy.document }, documentDigest),
    );
    return this.iam.createManagedPolicy(policy);
  }

  async attachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    await this.recordCall(
      callKey(`Attach${KIND_WORD[entity.kind]}Policy`, { ...entityParams(entity), policyArn }),
    );
    await this.iam.attachManagedPolicy(entity, policyArn);
  }

  async detachManagedPolicy(entity: IamEntity, policyArn: string): Promise<void> {
    await this.recordCall(
      callKey(`Detach${KIND_WORD[entity.kind]}Policy`, { ...entityParams(entity), policyArn }),
    );
    await this.iam.detachManagedPolicy(entity, policyArn);
  }
}
