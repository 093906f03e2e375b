/**
 * Wiring of the worker: the use cases a job may need (revert, quarantine, diff, history search, CIS 4.4 audit)
 * on the real adapters — IAM, CloudTrail, the store, the audit log, Slack. Used by the `worker` Lambda and, with
 * an in-process job queue, by the local runtime.
 */

import type { IAMClient } from '@aws-sdk/client-iam';
import { AccountRouter, type ChangeRead, type JobRunner } from '../app/account-router';
import { ResponderAuthorizer } from '../app/authorize';
import { RecordingIamGateway } from '../app/bot-steps';
import type { ActionCatalogueLoader } from '../app/change-content';
import type { CisAuditGateway } from '../app/cis-audit-service';
import type { PrincipalDirectory } from '../app/escalation-check';
import type { TrailEventLookup } from '../app/event-confirmation';
import type { AccountUseCases } from '../app/fleet-actions';
import type { IamGateway } from '../app/iam-port';
import { type JobDelivery, type JobTrust, VerifiedJobRunner } from '../app/job-verification';
import { isFleetJob, type Job } from '../app/jobs';
import type { AuditLineWriter } from '../app/logged-audit-log';
import type { PolicyReader } from '../app/policy-documents';
import type { TrailHistory } from '../app/ports';
import type { RespondedChange } from '../app/revert-port';
import type { SlackInteractionGateway } from '../app/slack-port';
import { type JobResult, type WorkerDependencies, WorkerService } from '../app/worker-service';
import { type AskActorConfig, readAskActorConfig } from '../ask-actor-config';
import type { AwsClients } from '../aws/clients';
import { createDocumentClient } from '../aws/dynamo-client';
import { botSurfaceOf, type Config, requireResponderExternalId } from '../config';
import { SlackAlertRefresher } from '../slack/alert-refresher';
import { SlackInteractionVerifier } from '../slack/interaction-verifier';
import { SlackResponderChannel } from '../slack/slack-responder-channel';
import type { WebApiSlackGateway } from '../slack/web-api-gateway';
import { DynamoBotStepStore } from '../store/dynamo-bot-steps';
import { DynamoJobProofStore } from '../store/dynamo-job-proofs';
import {
  lazily,
  onDemandIam,
  onDemandPolicyValidator,
  onDemandSecrets,
  onDemandTrailHistory,
} from './on-demand';

/** Whether the Slack gateway can also DM (the Web API gateway does; a test's narrower gateway may not). */
function isWebApiGateway(
  gateway: SlackInteractionGateway,
): gateway is SlackInteractionGateway &
  Pick<WebApiSlackGateway, 'userIdByEmail' | 'openDirectMessage' | 'postMessage' | 'updateMessage'> {
  const candidate = gateway as Partial<WebApiSlackGateway>;
  return (
    typeof candidate.userIdByEmail === 'function' &&
    typeof candidate.openDirectMessage === 'function' &&
    typeof candidate.postMessage === 'function' &&
    typeof candidate.updateMessage === 'function'
  );
}

/** A principal directory built on its first call. */
function onDemandDirectory(build: () => Promise<PrincipalDirectory>): PrincipalDirectory {
  const load = lazily(build);
  return {
    inlinePolicyNames: async (entity) => (await load()).inlinePolicyNames(entity),
    groupsOf: async (userName) => (await load()).groupsOf(userName),
    permissionsBoundary: async (entity) => (await load()).permissionsBoundary(entity),
  };
}

/**
 * The CIS 4.4 audit of the bot's own region, on four clients of its own (CloudTrail, CloudWatch Logs,
 * CloudWatch, SNS) built on the first audit. Against an emulator (`endpoint`) `TestMetricFilter` is skipped:
 * moto does not have it.
 */
function onDemandCisAudit(settings: { endpoint?: string }): CisAuditGateway {
  const load = lazily(async () => {
    const { AwsCisAuditGateway, createCisAuditClients } = await import('../aws/cis-audit-gateway');
    return new AwsCisAuditGateway(
      createCisAuditClients(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      { testMetricFilter: settings.endpoint === undefined },
    );
  });
  return { gatherFacts: async () => (await load()).gatherFacts() };
}

import { routeChange } from '../domain/routing';
import {
  buildInteractionGateway,
  buildStores,
  jsonLineAuditWriter,
  readBotToken,
  readSigningSecret,
} from './responders';
import { routingSource } from './routing';

/** What the worker is built from; everything but `config` defaults to the real thing. */
export interface WorkerWiring {
  config: Config;
  /**
   * The AWS clients (when not given: DynamoDB and IAM built at cold start, CloudTrail, SSM and the audit's
   * clients on first use).
   */
  aws?: AwsClients;
  /** Slack (a `WebApiSlackGateway` with the bot token when not given). */
  slack?: SlackInteractionGateway;
  /** The CIS 4.4 audit's facts (the bot's own region when not given). */
  cisAudit?: CisAuditGateway;
  /** IAM (the AWS IAM gateway on `aws.iam` when not given; the local runtime's simulation otherwise). */
  iam?: IamGateway;
  /** The escalation check's IAM reads beyond the gateway's (the AWS one on `aws.iam` when not given). */
  directory?: PrincipalDirectory;
  /** Pause between read-backs after a revert, for IAM's eventual consistency (the service's default when not given). */
  verifyDelayMs?: number;
  log?: (message: string, details: Record<string, unknown>) => void;
  /**
   * How far jobs are trusted: `signed-by-slack` (the default, and the only choice for the deployed worker) or
   * `in-process` for the local runtime in Socket Mode, whose requests come unsigned over the app's WebSocket.
   */
  trust?: JobTrust;
  /** Where each audit entry is written as a log line before the table (standard output when not given). */
  auditLine?: AuditLineWriter;
  /** "Was this you?" settings: read from the environment when not given; `false` turns it off. */
  askActor?: AskActorConfig | false;
  /** IAM for "was this you?"'s user tags, in the home account (`aws.iam`, else built on first use, when not given). */
  askActorIam?: Pick<IAMClient, 'send'>;
}

/**
 * Builds the worker. The CIS 4.4 audit reads the bot's own region with clients of its own (the shared
 * CloudTrail client is pinned to us-east-1 for `LookupEvents`), and skips `TestMetricFilter` against an emulator.
 *
 * With `HOME_ACCOUNT_ID` set (the stack sets it), a job about a change in another account of the organisation
 * runs on a worker whose IAM is that account's, through the responder role (`RESPONDER_ROLE_NAME`, assumed with
 * the external id from `RESPONDER_EXTERNAL_ID_PARAMETER`); one such worker per account, kept for the process.
 */
export async function buildWorkerService({
  config,
  aws,
  slack,
  cisAudit,
  iam: givenIam,
  directory: givenDirectory,
  verifyDelayMs,
  log,
  trust = 'signed-by-slack',
  auditLine = jsonLineAuditWriter(),
  askActor: askActorSetting,
  askActorIam,
}: WorkerWiring): Promise<JobRunner> {
  const options = { cloudTrailRegion: config.cloudTrailRegion };
  const dynamo = aws?.dynamo ?? createDocumentClient(options);
  const { store, audit, stats, cisStatus } = buildStores(config, dynamo, auditLine);
  const trail = onDemandTrailHistory(options, aws?.cloudTrail);
  const clock = { now: () => new Date() };
  const secrets = onDemandSecrets(options, aws?.ssm);
  const gateway = slack ?? buildInteractionGateway(config, await readBotToken(config, secrets));
  const externalId = lazily(async () => {
    const source = requireResponderExternalId(config);
    return 'externalId' in source ? source.externalId : secrets(source.parameter);
  });
  /** Managed policies read in their own account: at home with the worker's IAM, elsewhere through the responder role. */
  const memberPolicyReaders = new Map<string, PolicyReader>();
  const memberPolicyReader = (accountId: string): PolicyReader => {
    let reader = memberPolicyReaders.get(accountId);
    if (!reader) {
      const role = { roleName: config.responder.roleName, externalId };
      const load = lazily(async () => {
        const [{ createIamReaders }, { createMemberIamClient }] = await Promise.all([
          import('../aws/iam-readers'),
          import('../aws/member-accounts'),
        ]);
        return createIamReaders(options, createMemberIamClient(accountId, role, options)).policies;
      });
      reader = {
        getManagedPolicy: async (arn) => (await load()).getManagedPolicy(arn),
        getPolicyVersion: async (arn, version) => (await load()).getPolicyVersion(arn, version),
      };
      memberPolicyReaders.set(accountId, reader);
    }
    return reader;
  };
  // The action catalogue loads with the first document that has a wildcard or NotAction to expand.
  const actionCatalogue = lazily(
    async () => new (await import('../catalogue/action-catalogue')).IamDataActionCatalogue(),
  );
  /** The catalogue as the use cases take it. */
  const actions: ActionCatalogueLoader = {
    forStatements: async (statements) => (await actionCatalogue()).forStatements(statements),
  };
  // Only a history search needs the query service: it is built (and its code loaded) on the first one.
  const queries = lazily(async () =>
    (await import('./worker-history')).buildHistorySearch({
      config,
      store,
      stats,
      trail,
      dynamo,
      home: homeIam,
      actions,
      ...(homeAccountId === undefined || givenIam
        ? {}
        : { members: { homeAccountId, memberReader: memberPolicyReader } }),
    }),
  );
  const audit44 =
    cisAudit ?? onDemandCisAudit(config.awsEndpointUrl ? { endpoint: config.awsEndpointUrl } : {});

  // "Was this you?" (notify's ask-actor jobs): built, and IAM's tag reads loaded, with the first such job.
  const ask = askActorSetting === undefined ? readAskActorConfig(process.env) : askActorSetting || undefined;
  const askService = ask
    ? lazily(async () =>
        (await import('./ask-actor')).buildAskActorService({
          config,
          ask,
          dynamo,
          slack: isWebApiGateway(gateway)
            ? gateway
            : buildInteractionGateway(config, await readBotToken(config, secrets)),
          audit,
          secrets,
          ...(askActorIam ? { iam: askActorIam } : aws?.iam ? { iam: aws.iam } : {}),
          ...(log ? { log } : {}),
        }),
      )
    : undefined;
  const askActor = askService
    ? {
        askAbout: async (eventId: string, stored?: RespondedChange) =>
          (await askService()).askAbout(eventId, stored),
      }
    : undefined;

  // Where an alert the escalation check raised is posted again: the routing table, else the level's channel.
  const routes = routingSource(config, options, aws?.ssm, (text, details) => log?.(text, details ?? {}));
  const routeDefaults = {
    defaultChannel: config.slack.defaultChannel,
    channelByLevel: config.slack.channelByLevel,
  };
  const steps = new DynamoBotStepStore(dynamo, { tableName: config.tableName });
  const validator = config.policyValidation ? onDemandPolicyValidator(options) : undefined;
  /** Each account's revert and quarantine use cases, for actions on a fleet group; the bot's own under HOME. */
  const HOME = 'home';
  const accountUseCases = new Map<string, AccountUseCases>();
  /** The use cases on one account's IAM (`accountId`: that account), every IAM write recorded before it is made. */
  const workerOn = (
    accountIam: IamGateway,
    accountId: string | undefined,
    events: TrailHistory & TrailEventLookup = trail,
    directory: PrincipalDirectory = homeDirectory,
  ): WorkerService => {
    // Without a home account configured, the worker's own account is the one its role ARN names.
    const actsIn = accountId ?? /^arn:aws[\w-]*:iam::(\d{12}):/.exec(config.bot.workerRoleArn ?? '')?.[1];
    const iam = actsIn ? new RecordingIamGateway(accountIam, steps, actsIn, clock) : accountIam;
    // The revert, quarantine and before-state use cases load with the first job that needs them (a query or
    // status job never does). Before-states and confirmations come from the CloudTrail history of the account
    // the change was made in.
    const slack = new SlackResponderChannel(gateway);
    const useCases = lazily(async () =>
      (await import('./worker-actions')).buildAccountActions({
        config,
        store,
        iam,
        events,
        clock,
        audit,
        botSurface: botSurfaceOf(config),
        ...(verifyDelayMs === undefined ? {} : { verifyDelayMs }),
        ...(accountId === undefined ? {} : { accountId }),
      }),
    );
    // The escalation check reads only: the account's IAM before the recording wrapper, the store, Slack. Its code
    // loads with the first escalation job.
    const escalation = lazily(async () =>
      (await import('./worker-escalation')).buildEscalationCheck({
        config,
        dynamo,
        store,
        accountIam,
        directory,
        refresher: new SlackAlertRefresher(gateway),
        channel: slack,
        channelFor: async (change) =>
          routeChange((await routes?.table()) ?? [], change, routeDefaults).channel,
        clock,
        actions,
        ...(validator ? { validator } : {}),
        ...(log ? { log } : {}),
      }),
    );
    // One pair of loaders for the fleet runner and the worker alike. The change as the job already read it is
    // handed through: each job reads its change once.
    const revert: WorkerDependencies['revert'] = {
      prepare: async (eventId, stored) => (await useCases()).revert.prepare(eventId, stored),
      execute: async (eventId, request, stored) =>
        (await useCases()).revert.execute(eventId, request, stored),
    };
    const quarantine: WorkerDependencies['quarantine'] = {
      prepare: async (eventId, modes, stored) =>
        (await useCases()).quarantine.prepare(eventId, modes, stored),
      prepareLift: async (eventId, stored) => (await useCases()).quarantine.prepareLift(eventId, stored),
      quarantine: async (eventId, by, reason, modes, stored, attempt) =>
        (await useCases()).quarantine.quarantine(eventId, by, reason, modes, stored, attempt),
      lift: async (subject, by, reason, stored, attempt) =>
        (await useCases()).quarantine.lift(subject, by, reason, stored, attempt),
    };
    accountUseCases.set(accountId ?? HOME, { revert, quarantine });
    return new WorkerService({
      slack,
      store,
      escalation: {
        run: async (eventId, stored, delivery) => (await escalation()).run(eventId, stored, delivery),
      },
      ...(askActor ? { askActor } : {}),
      revert,
      quarantine,
      resolver: {
        resolveBeforeState: async (change, options) =>
          (await useCases()).resolver.resolveBeforeState(change, options),
      },
      iam,
      queries: {
        searchHistory: async (query, onProgress) => (await queries()).searchHistory(query, onProgress),
      },
      cisAudit: audit44,
      cisStatus,
      clock,
      settings: { trustedAccounts: config.trustedAccounts },
      ...(log ? { log } : {}),
    });
  };

  // Every job passes the verification first: the signed Slack request it carries, what it asked, who asked.
  const signingSecret = lazily(async () => readSigningSecret(config, secrets));
  const verified = (next: JobRunner): JobRunner =>
    new VerifiedJobRunner({
      verifier: new SlackInteractionVerifier(signingSecret),
      proofs: new DynamoJobProofStore(dynamo, { tableName: config.tableName }),
      authorizer: new ResponderAuthorizer({
        responders: config.slack.responders,
        slack: gateway,
        clock,
        audit,
      }),
      audit,
      store,
      slack: gateway,
      clock,
      settings: { trust },
      next,
      ...(log ? { log } : {}),
    });

  const homeAccountId = config.responder.homeAccountId;
  const homeDirectory = onDemandDirectory(
    async () =>
      givenDirectory ?? (await import('../aws/iam-readers')).createIamReaders(options, aws?.iam).principals,
  );
  // The IAM client and gateway load with the first IAM call: a query or status job never needs them.
  const homeIam =
    givenIam ??
    onDemandIam(async () => {
      const { AwsIamGateway, createIamClient } = await import('../aws/iam-gateway');
      return new AwsIamGateway(aws?.iam ?? createIamClient(options));
    });
  const home = workerOn(homeIam, homeAccountId);
  /** Fleet jobs (one change made in many accounts) act through each account's use cases; others pass on. */
  const fleet = (next: JobRunner, useCasesIn: (accountId: string) => AccountUseCases): JobRunner => {
    // The fleet runner and its modals' builders load with the first fleet job: other jobs pass on without them.
    const runner = lazily(async () => {
      const [{ FleetActionRunner }, { SLACK_FLEET_PRESENTER }] = await Promise.all([
        import('../app/fleet-actions'),
        import('../slack/render-fleet'),
      ]);
      return new FleetActionRunner({
        store,
        useCasesIn,
        slack: gateway,
        alerts: new SlackAlertRefresher(gateway),
        presenter: SLACK_FLEET_PRESENTER,
        audit,
        clock,
        next,
        ...(log ? { log } : {}),
      });
    });
    return {
      // The change as the verification read it is handed on (each job reads its change once).
      run: async (job, delivery, read) =>
        isFleetJob(job) ? (await runner()).run(job, delivery, read) : next.run(job, delivery, read),
    };
  };
  const homeUseCases = (): AccountUseCases => {
    const found = accountUseCases.get(homeAccountId ?? HOME);
    if (!found) throw new Error('the home account has no use cases');
    return found;
  };
  if (givenIam || homeAccountId === undefined) {
    // One account: a fleet member made anywhere else is refused rather than acted on here.
    const own = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(config.bot.workerRoleArn ?? '')?.[1];
    return verified(
      fleet(home, (accountId) => {
        if (own && accountId !== own) throw new Error(`the bot acts only in its own account ${own}`);
        return homeUseCases();
      }),
    );
  }

  const members = new Map<string, WorkerService>();
  const router = {
    workerFor(accountId: string | undefined): JobRunner {
      if (accountId === undefined || accountId === homeAccountId) return home;
      let worker = members.get(accountId);
      if (!worker) {
        const role = { roleName: config.responder.roleName, externalId };
        const memberIam = onDemandIam(async () => {
          const [{ AwsIamGateway }, { createMemberIamClient }] = await Promise.all([
            import('../aws/iam-gateway'),
            import('../aws/member-accounts'),
          ]);
          return new AwsIamGateway(createMemberIamClient(accountId, role, options));
        });
        const memberTrail = onDemandTrailHistory(options, async () =>
          (await import('../aws/member-cloudtrail')).createMemberCloudTrailClient(accountId, role, options),
        );
        const memberDirectory = onDemandDirectory(async () => {
          const [{ createIamReaders }, { createMemberIamClient }] = await Promise.all([
            import('../aws/iam-readers'),
            import('../aws/member-accounts'),
          ]);
          return createIamReaders(options, createMemberIamClient(accountId, role, options)).principals;
        });
        worker = workerOn(memberIam, accountId, memberTrail, memberDirectory);
        members.set(accountId, worker);
      }
      return worker;
    },
    run(job: Job, delivery?: JobDelivery, read?: ChangeRead): Promise<JobResult> {
      return accountRouter.run(job, delivery, read);
    },
  };
  const accountRouter = new AccountRouter({ store, workerFor: (accountId) => router.workerFor(accountId) });
  const useCasesIn = (accountId: string): AccountUseCases => {
    router.workerFor(accountId);
    if (accountId === homeAccountId) return homeUseCases();
    const found = accountUseCases.get(accountId);
    // Never another account's use cases in its place: that would act in the wrong account.
    if (!found) throw new Error(`no worker acts in account ${accountId}`);
    return found;
  };
  return verified(fleet(router, useCasesIn));
}
