/**
 * Pure Block Kit builders: an assessed change, an alarm and a thread note in, a Slack message out. No I/O, no
 * clock. Every value that comes from an event is escaped (see `escape.ts`), every list that could outgrow a
 * block says how much it left out, and every message keeps Slack's limits (50 blocks, 3000 characters a
 * section, 150 a header, 75 a button, a fallback `text`).
 */
import type {
  ActionsBlock,
  Button,
  ConfirmationDialog,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MessageAttachment,
  SectionBlock,
} from '@slack/types';
import type { AlarmCall, CallSource } from '../app/alert-port';
import type { AccountFacts } from '../domain/accounts';
import { clientLabel, describeActorType } from '../domain/actor';
import { principalEntries } from '../domain/policy';
import { unavailableNote } from '../domain/policy-validation';
import { isAccessDeniedCode } from '../domain/risk/rules/failed-write';
import type {
  Actor,
  AlarmEvent,
  AlarmState,
  AssessedChange,
  Change,
  Principal,
  RequestDocument,
  RiskLevel,
  Statement,
  Target,
} from '../domain/types';
import { ACTION_IDS, MAX_BUTTON_VALUE_LENGTH } from './action-ids';
import { statusAttachment, statusLine } from './alert-look';
import { context, mrkdwn, section } from './blocks';
import { escapeText, inlineCode, truncate } from './escape';
import {
  alarmConsoleLink,
  cloudTrailEventLink,
  iamPolicyLink,
  iamTargetLink,
  identityCenterLink,
} from './links';
import { accountMrkdwn, accountPlain, changeAccountMrkdwn, changeAccountPlain } from './render-account';
import { escalationContext, managedPolicyDocumentEntry } from './render-grants';

/** A message ready for `chat.postMessage` / `chat.update`: the fallback `text` and the blocks. */
export interface SlackMessage {
  /** What notifications, screen readers and old clients show. Always present, escaped. */
  text: string;
  blocks: KnownBlock[];
  /**
   * Secondary attachments: only an alert's coloured status bar (one context line), the one way Slack colours a
   * Block Kit message. Absent on every other message.
   */
  attachments?: MessageAttachment[];
}

export interface RenderOptions {
  /**
   * Prefix the fallback text and the first section with `<!here>` when the change is critical. Default true;
   * turn it off for re-renders (updates, history) so an edit never pings the channel again.
   */
  mentionOnCritical?: boolean;
}

/** Where an alarm's calls were looked for, and one call behind it: the notify path's facts. */
export type { AlarmCall, CallSource } from '../app/alert-port';

export interface AlarmDetails {
  calls?: AlarmCall[];
  source?: CallSource;
  /** The alarm's account as the organisation names it (the account directory's facts). */
  account?: AccountFacts;
  /** Calls the follow-up found after the summary was posted. */
  laterCalls?: number;
  /** True once the look-up ran; defaults to true when `calls` is given. */
  searched?: boolean;
}

const LIMIT = {
  header: 150,
  section: 3000,
  field: 2000,
  confirmTitle: 100,
  confirmText: 300,
  text: 40_000,
} as const;

/** Room kept at the end of a list section for its "… N more" line. */
const MORE_LINE_ROOM = 120;

/** Calls listed under an alarm at most; the rest are counted. A Terraform apply can make hundreds. */
const MAX_LISTED_CALLS = 25;

/** Sections an alarm's call list may take. */
const MAX_CALL_SECTIONS = 6;

/** How each level reads in Slack. */
export const LEVELS: Record<RiskLevel, { emoji: string; label: string }> = {
  critical: { emoji: ':rotating_light:', label: 'CRITICAL' },
  high: { emoji: ':red_circle:', label: 'HIGH' },
  medium: { emoji: ':large_orange_circle:', label: 'MEDIUM' },
  low: { emoji: ':large_yellow_circle:', label: 'LOW' },
  info: { emoji: ':information_source:', label: 'INFO' },
};

const LEVEL_ORDER: Record<RiskLevel, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

// --- small builders -------------------------------------------------------------------------------------------

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMIT.header), emoji: true } };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Console URLs carry names from the event (URL-encoded, so up to three times longer): beyond this a link is
 * left out rather than letting one name blow a field's limit.
 */
const MAX_LINK_URL = 600;

/** A link in Slack's `<url|label>` form; the label is a raw value and is escaped here. */
function link(url: string | undefined, label: string, max = 150): string {
  const text = truncate(label, max);
  return url && url.length <= MAX_LINK_URL ? `<${url}|${text}>` : text;
}

/** Only https URLs of a sane length and without Slack's delimiters may go in a `<url|label>`. */
function safeUrl(url: string | undefined): string | undefined {
  return url && url.length <= 1000 && /^https:\/\/[^\s<>|]+$/.test(url) ? url : undefined;
}

/**
 * A time as Slack's date token, shown in each reader's time zone, with the ISO text as the fallback. Returns the
 * escaped text itself when it is not a time.
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) return truncate(iso, 60);
  const fallback = isPlainTime(iso) ? iso : new Date(millis).toISOString().replace('.000Z', 'Z');
  return `<!date^${Math.floor(millis / 1000)}^${format}|${fallback}>`;
}

/** CloudTrail's own form, `2026-11-20T14:05:31Z`. */
const WHOLE_SECOND_TIME = /^\d{4}-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/**
 * True when a time is already what {@link slackDate} would write back: CloudTrail's whole-second form with a
 * day no month lacks (a 30 February is rolled over by `Date.parse`, so it is written back from the date).
 */
function isPlainTime(iso: string): boolean {
  const parts = WHOLE_SECOND_TIME.exec(iso);
  if (!parts) return false;
  const month = Number(parts[1]);
  const day = Number(parts[2]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 28;
}

/**
 * Joins `head` and as many `lines` as fit in `budget` characters. When some do not fit, the last line says how
 * many were left out (`more(n)`), so nothing is ever cut silently. Lines are never cut in the middle, so
 * formatting and links stay whole. `total` is how many lines there are when only the first were made (see
 * {@link linesWithin}).
 */
function fitLines(
  head: string,
  lines: string[],
  budget: number,
  more: (hidden: number) => string,
  total = lines.length,
): string {
  if (lines.length === total) {
    const all = [head, ...lines].join('\n');
    if (all.length <= budget) return all;
  }
  let text = head;
  let shown = 0;
  for (const line of lines) {
    const next = `${text}\n${line}`;
    if (next.length + 1 + more(total - shown - 1).length > budget) break;
    text = next;
    shown += 1;
  }
  return `${text}\n${more(total - shown)}`;
}

/**
 * The first of `total` lines, made one at a time, up to the first that takes the text past `budget`: all
 * {@link fitLines} can show of them (a managed policy may hold a hundred statements; a section shows a few).
 */
function linesWithin(head: string, total: number, budget: number, line: (index: number) => string): string[] {
  const lines: string[] = [];
  let length = head.length;
  for (let index = 0; index < total && length <= budget; index++) {
    const next = line(index);
    lines.push(next);
    length += 1 + next.length;
  }
  return lines;
}

/**
 * Packs lines into as few section texts as possible (each at most `budget`), up to `maxSections`; whatever is
 * left is counted by a last `more(n)` line. Every line must be shorter than `budget - MORE_LINE_ROOM`.
 */
function packSections(
  head: string,
  lines: string[],
  options: { budget: number; maxSections: number; total: number; more: (hidden: number) => string },
): string[] {
  const room = options.budget - MORE_LINE_ROOM;
  const sections: string[] = [];
  let current = head;
  let shown = 0;
  for (const line of lines) {
    if (current === '' || `${current}\n${line}`.length <= room) {
      current = current === '' ? line : `${current}\n${line}`;
    } else {
      if (sections.length + 1 >= options.maxSections) break;
      sections.push(current);
      current = line;
    }
    shown += 1;
  }
  const hidden = options.total - shown;
  if (hidden > 0) current = `${current}\n${options.more(hidden)}`;
  sections.push(current);
  return sections;
}

// --- describing a change --------------------------------------------------------------------------------------

function entityLabel(target: Target): string {
  if (!target.name) return `a ${target.kind}`;
  return target.newName
    ? `${target.kind} ${target.name} → ${target.newName}`
    : `${target.kind} ${target.name}`;
}

function targetLabel(target: Target): string {
  switch (target.kind) {
    case 'role':
    case 'user':
    case 'group':
    case 'policy':
      return entityLabel(target);
    case 'account':
      return 'the account';
    default:
      return target.name;
  }
}

function policyLabel(target: Target): string {
  if (target.policyName) return target.policyName;
  if (target.policyArn) return target.policyArn.slice(target.policyArn.lastIndexOf('/') + 1);
  return 'a policy';
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** True when a trust document lets anyone assume the role (`Principal: "*"` or `{"AWS": "*"}`). */
function opensToEveryone(change: Change): boolean {
  return change.documents.some(
    (entry) =>
      entry.role === 'trust' &&
      entry.document?.Statement.some(
        (statement) =>
          statement.Effect === 'Allow' &&
          principalEntries(statement.Principal).some((principal) => principal.value === '*'),
      ),
  );
}

/** What a call did (`past`) and what a failed call tried to do (`attempt`, after "tried to"). */
function phrase(change: Change): { past: string; attempt: string } {
  const target = change.target;
  const entity = entityLabel(target);
  const policy = policyLabel(target);
  const version = target.versionId ? `version ${target.versionId}` : 'a version';
  const name = change.eventName;
  const both = (past: string, attempt: string) => ({ past, attempt });

  const entityCall = /^(Attach|Detach|Put|Delete)(?:Role|User|Group)Policy$/.exec(name)?.[1];
  switch (entityCall) {
    case 'Attach':
      return both(`attached ${policy} to ${entity}`, `attach ${policy} to ${entity}`);
    case 'Detach':
      return both(`detached ${policy} from ${entity}`, `detach ${policy} from ${entity}`);
    case 'Put':
      return both(`wrote inline policy ${policy} on ${entity}`, `write inline policy ${policy} on ${entity}`);
    case 'Delete':
      return both(
        `deleted inline policy ${policy} from ${entity}`,
        `delete inline policy ${policy} from ${entity}`,
      );
  }
  switch (name) {
    case 'CreatePolicy': {
      const path = target.path && target.path !== '/' ? ` at path ${target.path}` : '';
      return both(`created policy ${policy}${path}`, `create policy ${policy}${path}`);
    }
    case 'DeletePolicy':
      return both(`deleted policy ${policy}`, `delete policy ${policy}`);
    case 'CreatePolicyVersion': {
      const isDefault = isTrue(change.requestParameters?.setAsDefault);
      const created = target.versionId
        ? `created version ${target.versionId} of policy ${policy}`
        : `created a new version of policy ${policy}`;
      return both(
        `${created}${isDefault ? ' and made it the default' : ' (not the default)'}`,
        `create a new version of policy ${policy}${isDefault ? ' as the default' : ''}`,
      );
    }
    case 'DeletePolicyVersion':
      return both(`deleted ${version} of policy ${policy}`, `delete ${version} of policy ${policy}`);
    case 'SetDefaultPolicyVersion':
      return both(
        `made ${version} the default of policy ${policy}`,
        `make ${version} the default of policy ${policy}`,
      );
    case 'UpdateAssumeRolePolicy':
      return opensToEveryone(change)
        ? both(
            `opened the trust policy of ${entity} to everyone`,
            `open the trust policy of ${entity} to everyone`,
          )
        : both(`changed the trust policy of ${entity}`, `change the trust policy of ${entity}`);
    case 'UpdateUser':
    case 'UpdateGroup':
      if (target.newName) {
        const old = `${target.kind} ${target.name}`;
        return both(`renamed ${old} to ${target.newName}`, `rename ${old} to ${target.newName}`);
      }
      break;
    case 'CreateServiceLinkedRole':
      if (target.kind === 'role' && target.service) {
        return both(
          `created service-linked role ${target.name} for ${target.service}`,
          `create a service-linked role for ${target.service}`,
        );
      }
      break;
  }
  const on = targetLabel(target) ? ` on ${targetLabel(target)}` : '';
  return both(`called ${name}${on}`, `call ${name}${on}`);
}

/**
 * True for error codes that mean IAM refused the caller, as opposed to a call that failed for another reason:
 * the failed-write rule's own reading, so the headline never says "denied" where the level says a mistake.
 */
function isDenied(errorCode: string | undefined): boolean {
  return errorCode !== undefined && isAccessDeniedCode(errorCode);
}

/**
 * One sentence, without its subject, on what a call did — "attached AdministratorAccess to role ci-runner",
 * "created version v3 of policy Deploy and made it the default" — or, for a failed call, what it tried to do:
 * "tried to attach AdministratorAccess to role ci-runner but was denied (AccessDenied)". Raw text: escape it
 * before it goes into a message.
 */
export function describeChange(change: Change): string {
  const { past, attempt } = phrase(change);
  if (change.outcome === 'success') return past;
  const code = change.errorCode ?? 'error';
  return isDenied(change.errorCode)
    ? `tried to ${attempt} but was denied (${code})`
    : `tried to ${attempt} but it failed (${code})`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * What a change's header says after its level: the change in a few words, or the failed attempt ("Denied
 * attempt: …"). `described` is {@link describeChange} of the change when the caller already has it.
 */
export function changeHeadline(change: Change, described?: string): string {
  if (change.outcome === 'success') return capitalise(described ?? describeChange(change));
  const what = targetLabel(change.target);
  const kind = isDenied(change.errorCode) ? 'Denied attempt' : 'Failed attempt';
  return `${kind}: ${change.eventName}${what ? ` on ${what}` : ''}`;
}

// --- reading policy documents ---------------------------------------------------------------------------------

function codeList(items: string[], max: number, itemMax = 100): string {
  const shown = items.slice(0, max).map((item) => inlineCode(item, itemMax));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} +${rest} more` : shown.join(', ');
}

/** `arn:aws:iam::123456789012:root` → `123456789012:root`: the account and the name are what readers need. */
function shortPrincipal(value: string): string {
  return value.replace(/^arn:aws[\w-]*:(?:iam|sts)::/, '');
}

function principalList(principal: Principal): string {
  const entries = principalEntries(principal);
  if (principal === '*') return `everyone (${inlineCode('*')})`;
  return codeList(
    entries.map((entry) => `${entry.kind}:${shortPrincipal(entry.value)}`),
    5,
  );
}

function conditionSummary(condition: NonNullable<Statement['Condition']>): string {
  const tests = Object.entries(condition).flatMap(([operator, block]) =>
    Object.entries(block).map(
      ([key, values]) => `${inlineCode(key, 80)} ${truncate(operator, 60)} ${codeList(values, 3, 80)}`,
    ),
  );
  const shown = tests.slice(0, 3).join('; ');
  return tests.length > 3 ? `${shown}; +${plural(tests.length - 3, 'more condition')}` : shown;
}

/**
 * A statement in one line: "Allow `iam:*`, `s3:GetObject` on `*`", "Allow `sts:AssumeRole` to
 * `AWS:123456789012:root`", conditions summarised. Every list is capped, so a line stays well under a section.
 */
function readStatement(statement: Statement): string {
  const parts: string[] = [`*${statement.Effect}*`];
  if (statement.Action) parts.push(codeList(statement.Action, 8));
  else if (statement.NotAction) parts.push(`every action except ${codeList(statement.NotAction, 6)}`);
  else parts.push('no action');
  if (statement.Principal) parts.push(`to ${principalList(statement.Principal)}`);
  if (statement.NotPrincipal) parts.push(`to everyone except ${principalList(statement.NotPrincipal)}`);
  if (statement.Resource) parts.push(`on ${codeList(statement.Resource, 4, 160)}`);
  else if (statement.NotResource)
    parts.push(`on every resource except ${codeList(statement.NotResource, 4, 160)}`);
  if (statement.Condition && Object.keys(statement.Condition).length > 0) {
    parts.push(`if ${conditionSummary(statement.Condition)}`);
  }
  return parts.join(' ');
}

function documentSection(entry: RequestDocument, failed: boolean): SectionBlock {
  const kind = entry.role === 'trust' ? 'Trust policy' : 'Policy document';
  const title = `*${failed ? `Requested ${kind.toLowerCase()}` : kind}* (${inlineCode(entry.field, 60)})`;
  if (!entry.document) {
    const why = truncate(entry.error ?? 'unknown error', 1000);
    return section(`${title}\n:warning: Could not be read: ${why}. View diff shows the text as recorded.`);
  }
  const statements = entry.document.Statement;
  if (statements.length === 0) return section(`${title}\nNo statements.`);
  const lines = linesWithin(
    title,
    statements.length,
    LIMIT.section,
    (index) => `• ${readStatement(statements[index] as Statement)}`,
  );
  return section(
    fitLines(
      title,
      lines,
      LIMIT.section,
      (hidden) => `… ${plural(hidden, 'more statement')} — View diff for the full document`,
      statements.length,
    ),
  );
}

// --- the change message ---------------------------------------------------------------------------------------

function mfaLabel(actor: Actor): string {
  if (actor.mfa === undefined) return 'unknown';
  return actor.mfa ? 'yes' : 'no';
}

function whoField(actor: Actor): string {
  const lines = [
    '*Who*',
    `*${truncate(actor.name || 'unknown', 100)}* · ${truncate(describeActorType(actor), 160)}`,
  ];
  if (actor.invokedBy && actor.type !== 'aws-service') {
    lines.push(`via AWS service ${inlineCode(actor.invokedBy, 100)}`);
  }
  if (actor.arn) lines.push(inlineCode(actor.arn, 300));
  lines.push(`MFA: ${mfaLabel(actor)} · Client: ${escapeText(clientLabel(actor.client))}`);
  if (actor.userAgent) lines.push(`User agent: ${inlineCode(actor.userAgent, 300)}`);
  if (actor.accessKeyId) lines.push(`Access key: ${inlineCode(actor.accessKeyId, 40)}`);
  return lines.join('\n');
}

function whereField(change: Change & Pick<Partial<AssessedChange>, 'account' | 'callerAccount'>): string {
  const lines = ['*Where*', `Account ${changeAccountMrkdwn(change)}`];
  const caller = change.actor.accountId;
  if (change.recipientAccountId && caller) {
    const facts = change.callerAccount?.id === caller ? change.callerAccount : undefined;
    lines.push(`Caller from account ${accountMrkdwn(caller, facts)}`);
  }
  lines.push(`Region ${inlineCode(change.region, 40)}`);
  const actor = change.actor;
  if (!actor.sourceIp) lines.push('Source not recorded');
  else if (actor.sourceIsService) lines.push(`Called by service ${inlineCode(actor.sourceIp, 100)}`);
  else lines.push(`From IP ${inlineCode(actor.sourceIp, 100)}`);
  return lines.join('\n');
}

/**
 * What the target field and the links line both show of a change's target: its label and console pages, made
 * once per message.
 */
interface TargetLinks {
  label: string;
  entityUrl: string | undefined;
  /** The managed policy a call attaches or detaches (not a policy call's own target), with its label. */
  policy?: { url: string; label: string };
}

function targetLinksOf(target: Change['target']): TargetLinks {
  const out: TargetLinks = { label: targetLabel(target), entityUrl: iamTargetLink(target) };
  if (target.policyArn && target.kind !== 'policy') {
    out.policy = { url: iamPolicyLink(target.policyArn), label: policyLabel(target) };
  }
  return out;
}

function targetField(change: Change, links: TargetLinks): string {
  const target = change.target;
  const lines = ['*Target*'];
  lines.push(link(links.entityUrl, links.label || 'not recorded'));
  if (links.policy) {
    lines.push(`Managed policy ${link(links.policy.url, links.policy.label)}`);
  } else if (target.policyName && target.kind !== 'policy') {
    lines.push(`Inline policy ${inlineCode(target.policyName, 130)}`);
  }
  if (target.versionId) lines.push(`Version ${inlineCode(target.versionId, 20)}`);
  return lines.join('\n');
}

function reasonsSection(change: AssessedChange): SectionBlock {
  const level = LEVELS[change.risk.level];
  const head: string[] = [`*Why ${level.label}*`];
  const expected = change.risk.expectedActor;
  if (expected) {
    head.push(
      `:arrow_down_small: Lowered from ${LEVELS[expected.originalLevel].label}: made by an expected actor ` +
        `(${inlineCode(expected.pattern, 200)}). Grouped, never hidden.`,
    );
  }
  const reasons = change.risk.reasons.length > 0 ? change.risk.reasons : ['no risk rule matched'];
  const lines = reasons.map((reason) => `• ${truncate(reason, 500)}`);
  return section(
    fitLines(head.join('\n'), lines, LIMIT.section, (hidden) => `… ${plural(hidden, 'more reason')}`),
  );
}

/** Who a quarantine would fence in, in words: the user, or the role behind the session. */
function quarantineSubject(actor: Actor): string {
  switch (actor.type) {
    case 'iam-user':
      return `user ${actor.name}`;
    case 'sso':
      return `role ${actor.sessionIssuerName ?? actor.name} (everyone using permission set ${actor.ssoPermissionSet ?? 'unknown'})`;
    case 'assumed-role':
      return `role ${actor.sessionIssuerName ?? actor.name}`;
    default:
      return actor.arn || actor.name;
  }
}

function confirm(title: string, text: string, confirmLabel: string): ConfirmationDialog {
  return {
    title: { type: 'plain_text', text: truncate(title, LIMIT.confirmTitle) },
    text: { type: 'plain_text', text: truncate(text, LIMIT.confirmText) },
    confirm: { type: 'plain_text', text: confirmLabel },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: 'danger',
  };
}

function button(actionId: string, label: string, value: string, extra: Partial<Button> = {}): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, value, ...extra };
}

/** Revert only undoes what happened: a supported plan for a call that succeeded. */
function offersRevert(change: AssessedChange): boolean {
  return change.outcome === 'success' && change.revert.supported;
}

/**
 * The root user and AWS services cannot be fenced in with a deny policy, and an IAM Identity Center session's
 * role is shared by everyone with its permission set (the quarantine refuses it): every other caller can.
 */
function offersQuarantine(change: AssessedChange): boolean {
  return change.actor.type !== 'root' && change.actor.type !== 'aws-service' && change.actor.type !== 'sso';
}

/** For an IAM Identity Center caller, in place of Quarantine: where to take their access away. */
function identityCenterButton(change: AssessedChange): Button {
  return {
    type: 'button',
    action_id: ACTION_IDS.OPEN_LINK,
    text: {
      type: 'plain_text',
      text: change.actor.identityCenterUser?.instanceId
        ? 'Open the user in IAM Identity Center'
        : 'Open IAM Identity Center',
    },
    url: identityCenterLink(change.actor.sessionIssuerArn, change.actor.identityCenterUser),
    value: change.eventId.slice(0, MAX_BUTTON_VALUE_LENGTH),
  };
}

function actionsBlock(change: AssessedChange, described = describeChange(change)): ActionsBlock {
  const value = change.eventId;
  const elements: Button[] = [
    button(ACTION_IDS.ACKNOWLEDGE, 'Acknowledge', value, { style: 'primary' }),
    button(ACTION_IDS.VIEW_DIFF, 'View diff', value),
  ];
  if (offersRevert(change)) {
    const calls = change.revert.steps.map((step) => step.action);
    const summary =
      calls.length > 0 ? `${plural(calls.length, 'IAM call')}: ${calls.join(', ')}` : 'IAM calls';
    elements.push(
      button(ACTION_IDS.REVERT, 'Revert', value, {
        style: 'danger',
        confirm: confirm(
          'Revert this change?',
          `Reverts "${described}" with ${summary}. Next you give a reason; the live state is checked before anything runs.`,
          'Revert',
        ),
      }),
    );
  }
  if (change.actor.type === 'sso') elements.push(identityCenterButton(change));
  if (offersQuarantine(change)) {
    elements.push(
      button(ACTION_IDS.QUARANTINE, 'Quarantine caller', value, {
        style: 'danger',
        confirm: confirm(
          'Quarantine the caller?',
          `Denies every IAM action to ${quarantineSubject(change.actor)}. Next you give a reason.`,
          'Quarantine',
        ),
      }),
    );
  }
  // Last: the quietest action, and the one a reader should reach for after the others.
  elements.push(button(ACTION_IDS.MUTE, 'Mute similar…', value));
  return { type: 'actions', elements };
}

function linksContext(change: Change, target: TargetLinks): ContextBlock | undefined {
  const links: string[] = [];
  const trail = cloudTrailEventLink(change.eventId, change.region);
  if (trail) links.push(link(trail, 'CloudTrail event'));
  if (target.entityUrl) links.push(link(target.entityUrl, `${target.label} in IAM`));
  if (target.policy) links.push(link(target.policy.url, `${target.policy.label} in IAM`));
  return links.length > 0 ? context([`:link: ${links.join(' · ')}`]) : undefined;
}

function metaContext(change: AssessedChange): ContextBlock {
  const elements = [
    `Event ${inlineCode(change.eventId, 300)} · ${inlineCode(change.eventName, 100)}`,
    change.cis44 ? ':white_check_mark: CIS 4.4 policy change' : 'Not one of the 16 CIS 4.4 events',
  ];
  if (change.actor.type === 'sso') {
    elements.push(
      `Quarantine not offered: ${truncate(change.actor.name || 'the caller', 200)} signed in through IAM Identity Center${change.actor.ssoPermissionSet ? ` (permission set ${inlineCode(change.actor.ssoPermissionSet, 100)})` : ''}, whose role everyone with that permission set shares — remove the assignment or disable the user in IAM Identity Center`,
    );
  }
  if (!change.revert.supported) {
    elements.push(
      `Revert not offered: ${truncate(change.revert.reason ?? 'no safe inverse for this call', 400)}`,
    );
  } else if (change.outcome === 'failed') {
    elements.push('Nothing to revert: the call failed');
  } else if (change.revert.needs && change.revert.needs.length > 0) {
    elements.push(
      `Revert first looks up: ${change.revert.needs.map((need) => need.replace(/-/g, ' ')).join(', ')}`,
    );
  }
  if (change.eventId.length > MAX_BUTTON_VALUE_LENGTH) {
    elements.push('The event id is too long for Slack buttons: use `/iam-changes` to act on it');
  }
  const unavailable = change.validation ? unavailableNote(change.validation) : undefined;
  if (unavailable) {
    // Handed to the worker, which validates again and updates this message.
    const again = change.followUp?.state === 'queued' ? ' (the worker validates it again)' : '';
    elements.push(`:grey_question: ${truncate(unavailable, 300)}${again}`);
  }
  return context(elements);
}

/**
 * The alert for one change: the level and what happened in the header, who / where / when / target, the risk
 * reasons, a compact reading of each policy document, console links, and the Acknowledge / View diff / Revert /
 * Quarantine buttons (Revert only when a plan exists and the call succeeded; Quarantine not for the root user
 * or an AWS service).
 */
export function renderChange(change: AssessedChange, options: RenderOptions = {}): SlackMessage {
  const level = LEVELS[change.risk.level];
  const mention = change.risk.level === 'critical' && options.mentionOnCritical !== false ? '<!here> ' : '';
  const what = describeChange(change);
  const actorName = change.actor.name || 'unknown caller';
  const targetLinks = targetLinksOf(change.target);

  const summary: string[] = [`${mention}*${truncate(actorName, 100)}* ${truncate(what, 1000)}.`];
  if (change.outcome === 'failed') {
    const message = change.errorMessage ? ` — ${truncate(change.errorMessage, 1200)}` : '';
    summary.push(`:no_entry: ${inlineCode(change.errorCode ?? 'error', 100)}${message}`);
  }

  const blocks: KnownBlock[] = [
    header(`${level.emoji} ${level.label} · ${changeHeadline(change, what)}`),
    section(summary.join('\n')),
    {
      type: 'section',
      fields: [
        mrkdwn(whoField(change.actor)),
        mrkdwn(whereField(change)),
        mrkdwn(`*When*\n${slackDate(change.eventTime)}`),
        mrkdwn(targetField(change, targetLinks)),
      ],
    },
    reasonsSection(change),
    ...escalationContext(change),
    ...[...change.documents, managedPolicyDocumentEntry(change)]
      .filter((entry): entry is RequestDocument => entry !== undefined)
      .slice(0, 5)
      .map((entry) => documentSection(entry, change.outcome === 'failed')),
  ];
  const links = linksContext(change, targetLinks);
  if (links) blocks.push(links);
  blocks.push(metaContext(change));
  if (change.eventId.length <= MAX_BUTTON_VALUE_LENGTH) blocks.push(actionsBlock(change, what));

  const account = change.accountId ? ` in account ${changeAccountPlain(change)}` : '';
  const text = `${mention}${level.label}: ${truncate(`${actorName} ${what}${account}`, LIMIT.section)}`;
  const open = { status: 'open', handling: 'open', level: change.risk.level } as const;
  return { text, blocks, attachments: [statusAttachment(open, statusLine(open, undefined))] };
}

// --- the alarm message ----------------------------------------------------------------------------------------

const STATES: Record<AlarmState, { emoji: string; title: string; summary: string }> = {
  ALARM: {
    emoji: ':rotating_light:',
    title: 'Alarm',
    summary: ':red_circle: *ALARM*: IAM policy changes were counted (CIS 4.4)',
  },
  OK: {
    emoji: ':white_check_mark:',
    title: 'Resolved',
    summary: ':large_green_circle: *OK*: resolved, no policy changes counted in the last period',
  },
  INSUFFICIENT_DATA: {
    emoji: ':grey_question:',
    title: 'Insufficient data',
    summary: ':white_circle: *INSUFFICIENT_DATA*: the alarm has no data to judge',
  },
};

const SOURCES: Record<CallSource, string> = {
  'cloudwatch-logs': 'CloudWatch Logs',
  cloudtrail: 'CloudTrail event history',
  none: 'no source',
};

/** The summary of an alarm that shares the topic but is not about IAM changes: its metric, never "IAM". */
function otherAlarmSummary(alarm: AlarmEvent): string {
  const metric = [alarm.metricNamespace, alarm.metricName].filter(Boolean).join('/');
  const named = metric ? inlineCode(metric, 200) : 'its metric';
  switch (alarm.state) {
    case 'ALARM':
      return `:red_circle: *ALARM*: ${named} crossed the alarm's threshold`;
    case 'OK':
      return `:large_green_circle: *OK*: ${named} is back within the alarm's threshold`;
    case 'INSUFFICIENT_DATA':
      return `:white_circle: *INSUFFICIENT_DATA*: the alarm has no data on ${named} to judge`;
  }
}

function metricLabel(alarm: AlarmEvent): string {
  const name = [alarm.metricNamespace, alarm.metricName].filter(Boolean).join('/');
  if (!name) return 'not given';
  const seconds = alarm.period;
  const period = seconds ? ` · ${seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`}` : '';
  const times = alarm.evaluationPeriods ? ` × ${alarm.evaluationPeriods}` : '';
  return `${inlineCode(name, 200)}${period}${times}`;
}

/** One call behind an alarm; its account is named when it is not the alarm's (an organisation trail's log group). */
function callLine(call: AlarmCall, alarmAccountId: string | undefined): string {
  const change = call.change;
  const level = LEVELS[change.risk.level];
  const what = link(safeUrl(call.permalink), describeChange(change), 300);
  const where =
    change.accountId && change.accountId !== alarmAccountId ? ` in ${changeAccountMrkdwn(change)}` : '';
  return (
    `• ${slackDate(change.eventTime, '{time}')} · ${level.emoji} ${level.label} · ` +
    `*${truncate(change.actor.name || 'unknown caller', 80)}* ${what}${where}`
  );
}

function levelCounts(calls: AlarmCall[]): string {
  const counts = new Map<RiskLevel, number>();
  for (const call of calls) counts.set(call.change.risk.level, (counts.get(call.change.risk.level) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([left], [right]) => LEVEL_ORDER[left] - LEVEL_ORDER[right])
    .map(([level, count]) => `${count} ${level}`)
    .join(', ');
}

function callSections(details: AlarmDetails, alarmAccountId: string | undefined): SectionBlock[] {
  const calls = details.calls ?? [];
  const searched = details.searched ?? details.calls !== undefined;
  const source = details.source ? SOURCES[details.source] : undefined;
  if (calls.length === 0) {
    if (!searched) {
      return [section(':hourglass_flowing_sand: Looking up the calls behind this alarm…')];
    }
    if (details.source === 'none') {
      return [
        section(
          ':warning: The calls could not be looked up: no metric filter log group or CloudTrail history to search.',
        ),
      ];
    }
    return [section(`No calls found in the window${source ? ` (searched ${source})` : ''}.`)];
  }
  const sorted = [...calls].sort(
    (left, right) =>
      LEVEL_ORDER[left.change.risk.level] - LEVEL_ORDER[right.change.risk.level] ||
      left.change.eventTime.localeCompare(right.change.eventTime),
  );
  const found = source && details.source !== 'none' ? ` found in ${source}` : '';
  const head = `*${plural(calls.length, 'call')} in the window*${found}: ${levelCounts(calls)}. Most severe first.`;
  const lines = sorted.slice(0, MAX_LISTED_CALLS).map((call) => callLine(call, alarmAccountId));
  return packSections(head, lines, {
    budget: LIMIT.section,
    maxSections: MAX_CALL_SECTIONS,
    total: calls.length,
    more: (hidden) => `… and ${hidden} more`,
  }).map(section);
}

/** The directory's facts of the alarm's account, when they are about that account. */
function accountFacts(alarm: AlarmEvent, details: AlarmDetails) {
  return details.account && details.account.id === alarm.accountId ? details.account : undefined;
}

/** The follow-up's count on the summary: calls found after it was posted, each posted as its own alert. */
function laterCallsLine(count: number): string {
  return `:mag: *${plural(count, 'more call')} found since this summary*, while the alarm stayed in ALARM — each posted as its own alert.`;
}

/**
 * The summary of a CIS 4.4 alarm: its state (ALARM red, OK resolved), previous state, account, region, metric
 * and window, and the calls behind it — listed most severe first and capped with "… and N more", "no calls
 * found" once searched, or "being looked up" before.
 */
export function renderAlarm(alarm: AlarmEvent, details: AlarmDetails = {}): SlackMessage {
  const state = STATES[alarm.state];
  const summary = [alarm.notCis44 === undefined ? state.summary : otherAlarmSummary(alarm)];
  if (alarm.previousState) summary[0] += ` (was ${alarm.previousState})`;
  if (alarm.description) summary.push(truncate(alarm.description, 500));
  if (alarm.reason) summary.push(`>${truncate(alarm.reason, 1000)}`);

  const region = alarm.region
    ? `${inlineCode(alarm.region, 40)}${alarm.regionName ? ` (${truncate(alarm.regionName, 60)})` : ''}`
    : truncate(alarm.regionName ?? 'unknown', 60);
  const windowNote =
    alarm.windowSource === 'datapoints' ? 'from the breaching datapoints' : 'estimated from the periods';
  const blocks: KnownBlock[] = [
    header(`${state.emoji} ${state.title}: ${alarm.name}`),
    section(summary.join('\n')),
    {
      type: 'section',
      fields: [
        mrkdwn(`*Account*\n${accountMrkdwn(alarm.accountId || 'unknown', accountFacts(alarm, details))}`),
        mrkdwn(`*Region*\n${region}`),
        mrkdwn(`*Metric*\n${metricLabel(alarm)}`),
        mrkdwn(
          `*Window*\n${slackDate(alarm.windowStart)} – ${slackDate(alarm.windowEnd, '{time}')}\n_${windowNote}_`,
        ),
      ],
    },
    ...(alarm.notCis44 === undefined ? callSections(details, alarm.accountId) : []),
    ...(details.laterCalls ? [section(laterCallsLine(details.laterCalls))] : []),
  ];
  const consoleLink = alarmConsoleLink(alarm);
  const meta = [`Alarm ${inlineCode(alarm.name, 255)} · changed state ${slackDate(alarm.stateChangeTime)}`];
  if (alarm.notCis44 !== undefined) meta.push(`Not a CIS 4.4 alarm: ${truncate(alarm.notCis44, 500)}`);
  // The alarm name is in the URL: the same length cap as every other link keeps the context under its limit.
  if (consoleLink && consoleLink.length <= MAX_LINK_URL)
    meta.push(`:link: ${link(consoleLink, 'Alarm in CloudWatch')}`);
  blocks.push(context(meta));

  const calls = details.calls?.length ? ` · ${plural(details.calls.length, 'call')}` : '';
  const later = details.laterCalls ? ` · ${plural(details.laterCalls, 'later call')}` : '';
  const account = accountPlain(alarm.accountId || 'unknown', accountFacts(alarm, details));
  const text = `${alarm.state}: ${truncate(alarm.name, 255)} in account ${truncate(account, 80)}${calls}${later}`;
  return { text, blocks };
}

// --- thread notes ---------------------------------------------------------------------------------------------

/** A plain follow-up for an alert's thread. The text is escaped: a note can never mention anyone. */
export function renderThreadNote(text: string): SlackMessage {
  const body = text.trim() === '' ? '(empty note)' : text;
  return { text: truncate(body, LIMIT.text), blocks: [section(truncate(body, LIMIT.section))] };
}
