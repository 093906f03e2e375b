import type { RiskRule } from '../rule';
import { requestString, succeeded } from '../statements';

/** Calls that give someone a way to sign in or call AWS as an IAM user, with what each one hands out. */
const CREDENTIAL_CALLS: Readonly<Record<string, string>> = {
  CreateAccessKey: 'creates an access key',
  CreateLoginProfile: 'creates a console password',
  UpdateLoginProfile: 'resets the console password',
  CreateServiceSpecificCredential: 'creates service-specific credentials',
  UploadSSHPublicKey: 'uploads an SSH public key',
};

/**
 * Making credentials for a user other than oneself: a classic way to keep or widen access. The root user
 * creating its own access key is flagged too, since root should have none.
 */
export const credentialsForAnotherUser: RiskRule = {
  id: 'credentials-for-another-user',
  level: 'high',
  description:
    'CreateAccessKey, CreateLoginProfile or UpdateLoginProfile (and similar) for a user other than the caller, or an access key for root.',
  evaluate(change) {
    const what = CREDENTIAL_CALLS[change.eventName];
    if (!what || !succeeded(change)) return null;
    const user = requestString(change, 'userName');
    const { actor } = change;
    if (!user) {
      if (actor.type === 'root' && change.eventName === 'CreateAccessKey') {
        return { level: 'high', reason: 'creates an access key for the root user: root should have none' };
      }
      return null;
    }
    if (actor.type === 'iam-user' && actor.name === user) return null;
    const by = actor.type === 'iam-user' ? `user ${actor.name}` : actor.name || 'the caller';
    return {
      level: 'high',
      reason: `${what} for another user (${user}), made by ${by}: a common way to keep access`,
    };
  },
};
