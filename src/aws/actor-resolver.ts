/**
 * Finds the Slack user behind a change's caller for "was this you?": the configured mapping, then — for an IAM
 * user of the account the bot runs in — the user's `slack` or `email` tag (`iam:ListUserTags`, read-only), then an IAM
 * Identity Center session's e-mail (any other session's only when `trustSessionNames` is on). The pure rules are `src/domain/actor-mapping.ts`; this adapter only reads the tags.
 */
import { type IAMClient, ListUserTagsCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { ActorResolver } from '../app/ask-actor-service';
import { type ActorMappingRule, type AskTarget, askTargetOf } from '../domain/actor-mapping';
import type { AssessedChange } from '../domain/types';

/** What the resolver reads with. */
export interface ActorResolverOptions {
  rules: readonly ActorMappingRule[];
  /** IAM in the account the bot runs in; without it, tags are not read. */
  iam?: Pick<IAMClient, 'send'>;
  /** The account `iam` reads: a user of another account has no tags to read here. */
  homeAccountId?: string;
  /** Use non-Identity Center role session names that are e-mails (`ASK_ACTOR_TRUST_SESSION_NAMES`; off by default). */
  trustSessionNames?: boolean;
}

/** {@link ActorResolver} over IAM's `ListUserTags`. */
export class IamTagActorResolver implements ActorResolver {
  constructor(private readonly options: ActorResolverOptions) {}

  async targetOf(change: AssessedChange): Promise<AskTarget | undefined> {
    const { actor } = change;
    const options = { trustSessionNames: this.options.trustSessionNames === true };
    const mapped = askTargetOf(actor, this.options.rules, {}, options);
    if (mapped || actor.type !== 'iam-user') return mapped;
    return askTargetOf(actor, [], await this.tagsOf(actor.name, actor.accountId), options);
  }

  private async tagsOf(userName: string, accountId: string | undefined): Promise<Record<string, string>> {
    const { iam, homeAccountId } = this.options;
    if (!iam || (homeAccountId && accountId && accountId !== homeAccountId)) return {};
    try {
      const response = await iam.send(new ListUserTagsCommand({ UserName: userName, MaxItems: 50 }));
      return Object.fromEntries((response.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    } catch (error: unknown) {
      // The user was deleted since: nobody to ask by tag.
      if (error instanceof NoSuchEntityException) return {};
      throw error;
    }
  }
}
