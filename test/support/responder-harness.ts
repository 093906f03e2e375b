/**
 * The responder path — Slack listeners, the worker, and the use cases behind them — wired to real components:
 * dynalite for the store and the audit log, moto_server for IAM (and the CIS 4.4 audit's reads), the local Slack
 * server, an in-process job queue, and `aws-sdk-client-mock` only for CloudTrail `LookupEvents`.
 *
 * Listener arguments are built the way Slack sends them (`block_actions`, `view_submission`, slash commands),
 * without Bolt, and every `ack` records how much Slack had been asked before it: listeners ack first.
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { AuditEntry } from '../../src/app/audit-port';
import { ResponderAuthorizer } from '../../src/app/authorize';
import { BeforeStateResolver } from '../../src/app/before-state';
import { InProcessJobQueue } from '../../src/app/in-process-job-queue';
import type { Job } from '../../src/app/jobs';
import { QuarantineService } from '../../src/app/quarantine-service';
import { QueryService } from '../../src/app/query-service';
import type { RespondedChange } from '../../src/app/revert-port';
import { RevertService } from '../../src/app/revert-service';
import { type WorkerDependencies, WorkerService, type WorkerSettings } from '../../src/app/worker-service';
import { AwsCisAuditGateway, createCisAuditClients } from '../../src/aws/cis-audit-gateway';
import { CloudTrailHistory } from '../../src/aws/cloudtrail-history';
import { AwsIamGateway } from '../../src/aws/iam-gateway';
import { normaliseRecord } from '../../src/domain/change';
import { assessChange } from '../../src/domain/explain';
import type { CloudTrailRecord } from '../../src/domain/input';
import type { AssessedChange, PolicyDocument } from '../../src/domain/types';
import { REASON_INPUT } from '../../src/slack/action-ids';
import type { CommandAnswer, CommandArgs } from '../../src/slack/listeners/command';
import type { ViewErrors, ViewSubmissionArgs } from '../../src/slack/listeners/confirm';
import type { ActionArgs, ListenerDependencies } from '../../src/slack/listeners/context';
import { renderChange } from '../../src/slack/render';
import { SlackResponderChannel } from '../../src/slack/slack-responder-channel';
import { createSlackClient, WebApiSlackGateway } from '../../src/slack/web-api-gateway';
import { DynamoAuditLog } from '../../src/store/dynamo-audit-log';
import { DynamoChangeStore } from '../../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../../src/store/dynamo-stats';
import { cloudTrailRecord } from './cloudtrail';
import { type DynaliteServer, startDynalite } from './dynalite';
import { awsTestEnv, type MotoServer, startMoto } from './moto';
import { catalogueContent } from './policy-content';
import { type LocalSlack, startSlackServer } from './slack-server';

/** moto's account: IAM ARNs it makes carry it, so the records must too. */
export const ACCOUNT = '123456789012';
export const CHANNEL = 'C0ALERTS';
/** Listed in SLACK_RESPONDERS directly. */
export const ALICE = 'U0ALICE';
/** A member of the responders' user group. */
export const BOB = 'U0BOB';
export const RESPONDER_GROUP = 'S0SECOPS';
/** Nobody special: may acknowledge and look, never revert or quarantine. */
export const MALLORY = 'U0MALLORY';
export const CAROL = 'U0CAROL';

export const USERS = {
  [ALICE]: { name: 'alice', realName: 'Alice Admin' },
  [BOB]: { name: 'bob', realName: 'Bob Builder' },
  [MALLORY]: { name: 'mallory', realName: 'Mallory M' },
  [CAROL]: { name: 'carol', realName: 'Carol C' },
};

export const READ_ONLY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
};
export const ADMIN_LIKE: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
};
const TRUST_EC2: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
};

/** The running components, shared by a test file. */
export interface Components {
  dynalite: DynaliteServer;
  moto: MotoServer;
  slack: LocalSlack;
  iamClient: IAMClient;
  stop(): Promise<void>;
}

export async function startComponents(): Promise<Components> {
  const [dynalite, moto, slack] = await Promise.all([
    startDynalite(),
    startMoto(),
    startSlackServer({ users: USERS, userGroups: { [RESPONDER_GROUP]: [BOB] } }),
  ]);
  const iamClient = new IAMClient(awsTestEnv(moto.endpoint));
  return {
    dynalite,
    moto,
    slack,
    iamClient,
    async stop() {
      iamClient.destroy();
      await Promise.all([dynalite.stop(), moto.stop(), slack.close()]);
    },
  };
}

/** A log that keeps what it was told, so tests can say nothing went wrong (or what did). */
export function memoryLog() {
  const lines: Array<{ level: 'error' | 'warn'; message: string; details?: Record<string, unknown> }> = [];
  return {
    lines,
    error: (message: string, details?: Record<string, unknown>) =>
      lines.push({ level: 'error', message, details }),
    warn: (message: string, details?: Record<string, unknown>) =>
      lines.push({ level: 'warn', message, details }),
  };
}

export type Harness = Awaited<ReturnType<typeof responderHarness>>;

let counter = 0;

/** A fresh table and the whole responder path on it. */
export async function responderHarness(
  components: Components,
  options: { responders?: string[]; worker?: Partial<WorkerSettings>; now?: () => Date } = {},
) {
  const tableName = await components.dynalite.createTable();
  const documentClient = components.dynalite.documentClient;
  const store = new DynamoChangeStore(documentClient, { tableName });
  const audit = new DynamoAuditLog(documentClient, { tableName });
  const stats = new DynamoStatsStore(documentClient, { tableName });
  const cloudTrail = new CloudTrailClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const trailMock: AwsClientStub<CloudTrailClient> = mockClient(cloudTrail);
  trailMock.on(LookupEventsCommand).resolves({ Events: [] });
  const trail = new CloudTrailHistory(cloudTrail, { requestsPerSecond: 1000 });
  const iam = new AwsIamGateway(components.iamClient);
  const clock = { now: options.now ?? (() => new Date()) };
  const slack = new WebApiSlackGateway(
    createSlackClient({ token: 'xoxb-test', slackApiUrl: components.slack.url, retries: 0 }),
    { responseUrlOrigins: [new URL(components.slack.url).origin] },
  );
  const resolver = new BeforeStateResolver({ store, trail, iam, clock });
  const queries = new QueryService({
    changes: store,
    stats,
    history: trail,
    clock,
    retentionDays: 400,
    risk: { expectedActors: [], trustedAccounts: [] },
    historyPagesPerSlice: 1,
  });
  const log = memoryLog();
  const workerDeps: WorkerDependencies = {
    slack: new SlackResponderChannel(slack),
    store,
    revert: new RevertService({
      store,
      iam,
      resolver,
      clock,
      audit,
      settings: { verifyAttempts: 3, verifyDelayMs: 50 },
    }),
    quarantine: new QuarantineService({
      store,
      iam,
      clock,
      audit,
      settings: {
        bot: { workerRoleArn: `arn:aws:iam::${ACCOUNT}:role/iam-changes-worker`, memberAccounts: [] },
        protectedPrincipals: [],
      },
    }),
    resolver,
    iam,
    queries,
    cisAudit: new AwsCisAuditGateway(
      createCisAuditClients({
        region: 'us-east-1',
        endpoint: components.moto.endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
      { testMetricFilter: false },
    ),
    clock,
    settings: { trustedAccounts: [], progressIntervalSeconds: 0, ...options.worker },
    log: (message, details) => log.warn(message, details),
  };
  const worker = new WorkerService(workerDeps);
  const published: Job[] = [];
  const queue = new InProcessJobQueue((job) => worker.run(job), {
    log: (message, details) => log.error(message, details),
  });
  const jobs = {
    async publish(job: Job) {
      published.push(job);
      await queue.publish(job);
    },
  };
  const deps: ListenerDependencies = {
    slack,
    store,
    audit,
    authorizer: new ResponderAuthorizer({
      responders: options.responders ?? [ALICE, RESPONDER_GROUP],
      slack,
      clock,
      audit,
    }),
    jobs,
    queries,
    clock,
    log,
  };

  /** Stores a change as the notify path would, and (unless `post: false`) posts its alert in {@link CHANNEL}. */
  async function storeChange(
    record: CloudTrailRecord,
    post: { post?: boolean; grouped?: { parentTs: string } } = {},
  ): Promise<AssessedChange> {
    const result = normaliseRecord(record);
    if (!('change' in result)) throw new Error(result.skipped.reason);
    // Judged by what it grants, as notify judges it: the attached policy's document from the catalogue.
    const prepared = await catalogueContent().prepare(result.change);
    const change = assessChange(prepared.change, { expectedActors: [], trustedAccounts: [] });
    const now = new Date();
    await store.claimChange(change, now, now);
    await stats.record(change, now);
    if (post.post === false) return change;
    if (post.grouped) {
      const line = await slack.postMessage({
        channel: CHANNEL,
        threadTs: post.grouped.parentTs,
        text: `grouped: ${change.eventName}`,
      });
      await store.markDelivery(change.eventId, { delivery: 'grouped', slack: line, burstId: 'burst-1' }, now);
      return change;
    }
    const ref = await slack.postMessage({ channel: CHANNEL, ...renderChange(change) });
    await store.markDelivery(change.eventId, { delivery: 'delivered', slack: ref }, now);
    return change;
  }

  async function stored(eventId: string): Promise<RespondedChange> {
    const found = await store.getChange(eventId);
    if (!found) throw new Error(`event ${eventId} is not stored`);
    return found;
  }

  async function auditEntries(): Promise<AuditEntry[]> {
    return audit.list(new Date(Date.now() - 3_600_000), 100);
  }

  return {
    tableName,
    store,
    audit,
    stats,
    iam,
    slack,
    trailMock,
    worker,
    workerDeps,
    queue,
    published,
    deps,
    log,
    storeChange,
    stored,
    auditEntries,
    /** Waits for every job published so far, and the jobs they published. */
    idle: () => queue.idle(),
  };
}

/** An `ack` that records its calls, and how many Slack calls had been made when it was first called. */
export function ackSpy<T = void>(slack: LocalSlack) {
  const calls: Array<T | undefined> = [];
  let slackCallsAtFirstAck: number | undefined;
  const ack = async (response?: T) => {
    slackCallsAtFirstAck ??= slack.calls.length;
    calls.push(response);
  };
  return {
    ack,
    calls,
    get slackCallsAtFirstAck() {
      return slackCallsAtFirstAck;
    },
  };
}

/** A `block_actions` click on an element of the alert of `change` (as Slack sends it). */
export function click(
  slack: LocalSlack,
  options: {
    actionId: string;
    value?: string;
    selected?: string;
    user: string;
    messageTs?: string;
    threadTs?: string;
  },
) {
  const spy = ackSpy(slack);
  counter += 1;
  const args: ActionArgs = {
    ack: () => spy.ack(),
    body: {
      user: {
        id: options.user,
        name: USERS[options.user as keyof typeof USERS]?.name ?? options.user.toLowerCase(),
      },
      trigger_id: `trigger-${counter}`,
      channel: { id: CHANNEL },
      ...(options.messageTs
        ? { message: { ts: options.messageTs, ...(options.threadTs ? { thread_ts: options.threadTs } : {}) } }
        : {}),
      response_url: slack.responseUrl(`action-${counter}`),
    },
    action: {
      action_id: options.actionId,
      ...(options.value !== undefined ? { value: options.value } : {}),
      ...(options.selected !== undefined ? { selected_option: { value: options.selected } } : {}),
    },
  };
  return { args, spy };
}

/** A `view_submission` of the modal Slack holds under `viewId`, with a reason typed in. */
export function submit(slack: LocalSlack, viewId: string, user: string, reason: string) {
  const stored = slack.views.find((view) => view.id === viewId);
  if (!stored) throw new Error(`no view ${viewId}`);
  const spy = ackSpy<ViewErrors>(slack);
  const args: ViewSubmissionArgs = {
    ack: (response) => spy.ack(response),
    body: { user: { id: user, name: USERS[user as keyof typeof USERS]?.name ?? user } },
    view: {
      id: viewId,
      callback_id: String(stored.view.callback_id),
      private_metadata: String(stored.view.private_metadata ?? ''),
      state: { values: { [REASON_INPUT.BLOCK_ID]: { [REASON_INPUT.ACTION_ID]: { value: reason } } } },
    },
  };
  return { args, spy };
}

/** `/iam-changes <text>` as Slack sends it, answered at `response_url` `/response/<id>`. */
export function command(slack: LocalSlack, text: string, user = CAROL) {
  counter += 1;
  const id = `command-${counter}`;
  const spy = ackSpy<CommandAnswer>(slack);
  const args: CommandArgs = {
    ack: (response) => spy.ack(response),
    command: {
      text,
      user_id: user,
      user_name: USERS[user as keyof typeof USERS]?.name ?? user,
      channel_id: CHANNEL,
      response_url: slack.responseUrl(id),
      team_domain: 'iam-changes-test',
    },
  };
  return { args, spy, responses: () => slack.responsesTo(id) };
}

/** A name no other test of the run uses (moto and the table are shared within a file). */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A role on moto with `document` attached as a new managed policy; the record of that attach. */
export async function attachedPolicy(components: Components, document: PolicyDocument = ADMIN_LIKE) {
  const role = unique('app-role');
  await components.iamClient.send(
    new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(TRUST_EC2) }),
  );
  const policy = await components.iamClient.send(
    new CreatePolicyCommand({ PolicyName: unique('wide-open'), PolicyDocument: JSON.stringify(document) }),
  );
  const policyArn = policy.Policy?.Arn ?? '';
  await components.iamClient.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
  return { role, policyArn, record: recordOf('AttachRolePolicy', { roleName: role, policyArn }) };
}

/** A record made now in moto's account, by `caller` (an IAM user by default). */
export function recordOf(
  eventName: string,
  params: Record<string, unknown>,
  caller: { user?: string; role?: string } = {},
): CloudTrailRecord {
  const userIdentity = caller.role
    ? {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${caller.role}-session`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${caller.role}/deploy-session`,
        accountId: ACCOUNT,
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLE',
            arn: `arn:aws:iam::${ACCOUNT}:role/${caller.role}`,
            accountId: ACCOUNT,
            userName: caller.role,
          },
          attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
        },
      }
    : {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:user/${caller.user ?? 'alice-admin'}`,
        accountId: ACCOUNT,
        accessKeyId: 'AKIAEXAMPLE',
        userName: caller.user ?? 'alice-admin',
        sessionContext: { attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'true' } },
      };
  return cloudTrailRecord(eventName, params, {
    eventTime: new Date().toISOString(),
    recipientAccountId: ACCOUNT,
    userIdentity,
  });
}

/** An IAM user on moto (a caller to quarantine). */
export async function iamUser(components: Components): Promise<string> {
  const name = unique('intruder');
  await components.iamClient.send(new CreateUserCommand({ UserName: name }));
  return name;
}

/** An IAM role on moto (a caller to quarantine through its sessions). */
export async function iamRole(components: Components): Promise<string> {
  const name = unique('ci-deployer');
  await components.iamClient.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(TRUST_EC2) }),
  );
  return name;
}

/** Every text in a Slack message or view, joined: what a reader would see. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (typeof value === 'object' && value !== null) return Object.values(value).map(textOf).join('\n');
  return '';
}

/** The action ids of the buttons in a message's blocks. */
export function buttonIds(blocks: unknown[] | undefined): string[] {
  return (blocks ?? []).flatMap((block) => {
    const elements = (block as { type?: string; elements?: Array<{ action_id?: string }> }).elements;
    return (block as { type?: string }).type === 'actions'
      ? (elements ?? []).map((e) => e.action_id ?? '')
      : [];
  });
}
