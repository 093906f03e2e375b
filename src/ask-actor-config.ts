/**
 * The "was this you?" settings, read from the environment apart from the rest of the configuration so that the
 * feature stays off (and costs nothing) unless configured:
 *
 * - `ASK_ACTOR` — `true` to ask (also implied by a mapping);
 * - `ASK_ACTOR_MAPPING` — JSON `{ "<ARN or name glob>": "<Slack user id or e-mail>" }`, or
 *   `ASK_ACTOR_MAPPING_PARAMETER`, the SSM parameter holding it;
 * - `ASK_ACTOR_TIMEOUT_MINUTES` — minutes without an answer before the alert says so (default 60);
 * - `ASK_ACTOR_TRUST_SESSION_NAMES` — `true` to ask the e-mail a role session outside IAM Identity Center is named
 *   after (off by default: whoever assumes the role chooses that name, and so who is asked).
 */
import { ConfigError } from './config-error';
import { type ActorMappingRule, parseActorMapping } from './domain/actor-mapping';

/** The feature's settings; `undefined` from {@link readAskActorConfig} means off. */
export interface AskActorConfig {
  rules: ActorMappingRule[];
  /** The SSM parameter to read more rules from (deployed stages). */
  mappingParameter?: string;
  timeoutMinutes: number;
  /** Whether a non-Identity Center role session's e-mail name may pick who is asked. */
  trustSessionNames?: boolean;
}

/** Reads the settings; undefined when the feature is off. Throws {@link ConfigError} naming the bad key. */
export function readAskActorConfig(env: Record<string, string | undefined>): AskActorConfig | undefined {
  const flag = (env.ASK_ACTOR ?? '').trim().toLowerCase();
  if (flag !== '' && !['true', 'false', '1', '0', 'yes', 'no'].includes(flag)) {
    throw new ConfigError('invalid configuration: ASK_ACTOR: expected true or false');
  }
  const mappingText = env.ASK_ACTOR_MAPPING?.trim();
  const mappingParameter = env.ASK_ACTOR_MAPPING_PARAMETER?.trim() || undefined;
  if (mappingParameter && !mappingParameter.startsWith('/')) {
    throw new ConfigError(
      'invalid configuration: ASK_ACTOR_MAPPING_PARAMETER: expected an SSM parameter name starting with /',
    );
  }
  const on = ['true', '1', 'yes'].includes(flag) || Boolean(mappingText) || Boolean(mappingParameter);
  if (!on || ['false', '0', 'no'].includes(flag)) return undefined;
  let rules: ActorMappingRule[] = [];
  if (mappingText) {
    try {
      rules = parseActorMapping(mappingText);
    } catch (error: unknown) {
      throw new ConfigError(`invalid configuration: ASK_ACTOR_MAPPING: ${(error as Error).message}`);
    }
  }
  const minutesText = env.ASK_ACTOR_TIMEOUT_MINUTES?.trim() || '60';
  const timeoutMinutes = Number(minutesText);
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes <= 0 || timeoutMinutes > 10_080) {
    throw new ConfigError(
      'invalid configuration: ASK_ACTOR_TIMEOUT_MINUTES: expected a whole number of minutes from 1 to 10080',
    );
  }
  const trustText = (env.ASK_ACTOR_TRUST_SESSION_NAMES ?? '').trim().toLowerCase();
  if (trustText !== '' && !['true', 'false', '1', '0', 'yes', 'no'].includes(trustText)) {
    throw new ConfigError('invalid configuration: ASK_ACTOR_TRUST_SESSION_NAMES: expected true or false');
  }
  const trustSessionNames = ['true', '1', 'yes'].includes(trustText);
  return { rules, ...(mappingParameter ? { mappingParameter } : {}), timeoutMinutes, trustSessionNames };
}
