/**
 * `/iam-changes` on a store of 100,000 changes: 90 days of IAM writes from 50 actors on 500 resources, written
 * through the real notify-path calls (`DynamoChangeStore.claimChange`, then `DynamoStatsStore.record`),
 * concurrently, into an in-process dynalite. Then `7d by <actor>`, `on role/<name>` and `stats 30d` are timed
 * through the real QueryService and renderer (after a warm-up, 60 runs each, p50 and p95), and set against what
 * the same answer costs through CloudTrail `LookupEvents` at 2 requests a second and 50 events a page.
 *
 * Target: p95 ≤ 300 ms for each query. `CHANGES=20000 node bin/run-ts.mjs bench/queries.ts` runs a smaller load.
 */
import { performance } from 'node:perf_hooks';
import { QueryService, statsStart } from '../src/app/query-service';
import { normaliseRecord } from '../src/domain/change';
import { assessChange } from '../src/domain/explain';
import type { CloudTrailRecord } from '../src/domain/input';
import { parseQuery, type Query } from '../src/domain/query';
import type { AssessedChange } from '../src/domain/types';
import { renderQueryAnswer } from '../src/slack/render-query';
import { DynamoChangeStore } from '../src/store/dynamo-change-store';
import { DynamoStatsStore } from '../src/store/dynamo-stats';
import { cloudTrailRecord } from '../test/support/cloudtrail';
import { startDynalite } from '../test/support/dynalite';
import { withPeakMemory, writeSection } from './results';

const CHANGES = Number(process.env.CHANGES ?? 100_000);
const DAYS = 90;
const ACTORS = 50;
const RESOURCES = 500;
const WRITE_CONCURRENCY = 48;
const WARM_UP = 5;
const RUNS = 60;
const TARGET_P95_MS = 300;
const LOOKUP_PAGE = 50;
const LOOKUP_SECONDS_PER_PAGE = 0.5;
const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-20T15:00:00.000Z');
const RISK = { expectedActors: [`arn:aws:iam::${ACCOUNT}:role/terraform-*`], trustedAccounts: [] };

/** A small deterministic generator, so every run stores the same changes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface ActorSpec {
  name: string;
  identity: Record<string, unknown>;
  userAgent: string;
  weight: number;
}

function actors(): ActorSpec[] {
  const out: ActorSpec[] = [];
  for (let index = 0; index < ACTORS; index += 1) {
    const weight = 1 + (index % 3);
    if (index < 20) {
      const name = `user-${String(index).padStart(2, '0')}`;
      out.push({
        name,
        weight,
        userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux',
        identity: {
          type: 'IAMUser',
          principalId: `AIDA${index}`,
          arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
          accountId: ACCOUNT,
          userName: name,
        },
      });
      continue;
    }
    const sso = index >= 45;
    const role = sso
      ? 'AWSReservedSSO_Admin_0123456789abcdef'
      : `terraform-${String(index).padStart(2, '0')}`;
    const session = sso ? `person-${index}@example.com` : `apply-${index}`;
    out.push({
      name: sso ? session : `${role}/${session}`,
      weight,
      userAgent: sso
        ? 'console.amazonaws.com'
        : 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0',
      identity: {
        type: 'AssumedRole',
        principalId: `AROA${index}:${session}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
        accountId: ACCOUNT,
        sessionContext: {
          sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, userName: role },
          attributes: { mfaAuthenticated: sso ? 'true' : 'false' },
        },
      },
    });
  }
  return out;
}

const POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::app-bucket/*' },
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
  ],
});
const MANAGED = [
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  'arn:aws:iam::aws:policy/AmazonS3FullAccess',
  'arn:aws:iam::aws:policy/AdministratorAccess',
  `arn:aws:iam::${ACCOUNT}:policy/app/Deploy`,
];

/** The i-th resource and a call on it: 300 roles, 100 users, 50 groups, 50 customer managed policies. */
function call(resource: number, pick: () => number): { eventName: string; params: Record<string, unknown> } {
  const policyArn = MANAGED[Math.floor(pick() * MANAGED.length)] ?? MANAGED[0];
  const verb = pick();
  if (resource < 400) {
    const [kind, key, name] =
      resource < 300
        ? ['Role', 'roleName', `app-role-${resource}`]
        : ['User', 'userName', `app-user-${resource - 300}`];
    if (verb < 0.35) return { eventName: `Attach${kind}Policy`, params: { [key]: name, policyArn } };
    if (verb < 0.55) return { eventName: `Detach${kind}Policy`, params: { [key]: name, policyArn } };
    if (verb < 0.9) {
      return {
        eventName: `Put${kind}Policy`,
        params: { [key]: name, policyName: 'inline', policyDocument: POLICY_DOCUMENT },
      };
    }
    return { eventName: `Delete${kind}Policy`, params: { [key]: name, policyName: 'inline' } };
  }
  if (resource < 450) {
    const groupName = `app-group-${resource - 400}`;
    return verb < 0.6
      ? { eventName: 'AttachGroupPolicy', params: { groupName, policyArn } }
      : {
          eventName: 'PutGroupPolicy',
          params: { groupName, policyName: 'inline', policyDocument: POLICY_DOCUMENT },
        };
  }
  const arn = `arn:aws:iam::${ACCOUNT}:policy/generated/policy-${resource - 450}`;
  return verb < 0.7
    ? {
        eventName: 'CreatePolicyVersion',
        params: { policyArn: arn, policyDocument: POLICY_DOCUMENT, setAsDefault: true },
      }
    : { eventName: 'SetDefaultPolicyVersion', params: { policyArn: arn, versionId: 'v2' } };
}

function generate(): { changes: AssessedChange[]; times: number[] } {
  const pick = random(44);
  const specs = actors();
  const weights = specs.reduce((sum, actor) => sum + actor.weight, 0);
  const start = NOW.getTime() - DAYS * 86_400_000;
  const changes: AssessedChange[] = [];
  for (let index = 0; index < CHANGES; index += 1) {
    const roll = pick() * weights;
    let cumulative = 0;
    const actor =
      specs.find((candidate) => {
        cumulative += candidate.weight;
        return roll < cumulative;
      }) ?? specs[0];
    if (!actor) throw new Error('no actors');
    const resource = Math.floor(pick() * RESOURCES);
    const { eventName, params } = call(resource, pick);
    const eventTime = new Date(start + Math.floor(pick() * (NOW.getTime() - start)))
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const failed = pick() < 0.02;
    const overrides: Partial<CloudTrailRecord> = {
      eventTime,
      userIdentity: actor.identity,
      userAgent: actor.userAgent,
      eventID: `bench-${String(index).padStart(6, '0')}`,
      ...(failed ? { errorCode: 'AccessDenied', errorMessage: 'not authorized' } : {}),
    };
    const result = normaliseRecord(cloudTrailRecord(eventName, params, overrides));
    if (!('change' in result)) throw new Error(`skipped: ${result.skipped.reason}`);
    changes.push(assessChange(result.change, RISK));
  }
  return { changes, times: changes.map((change) => Date.parse(change.eventTime)) };
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function parsed(text: string): Query {
  const result = parseQuery(text, NOW);
  if (!result.ok) throw new Error(`${text}: ${result.error.message}`);
  return result.query;
}

interface Timing {
  label: string;
  p50: number;
  p95: number;
  max: number;
  /** Changes the answers matched, on average. */
  matched: number;
  /** `LookupEvents` pages and seconds for the same answer. */
  pages: number;
  lookupSeconds: number;
  lookupNote: string;
}

async function main(): Promise<void> {
  const db = await startDynalite();
  try {
    const tableName = await db.createTable('iam-changes-bench');
    const store = new DynamoChangeStore(db.documentClient, { tableName, retentionDays: 400 });
    const stats = new DynamoStatsStore(db.documentClient, { tableName, retentionDays: 400 });

    const generating = performance.now();
    const { changes, times } = generate();
    const generateSeconds = (performance.now() - generating) / 1000;
    console.log(`generated ${changes.length} changes in ${generateSeconds.toFixed(1)} s`);

    const {
      result: writeSeconds,
      peakRssMiB,
      peakHeapMiB,
    } = await withPeakMemory(async () => {
      const writing = performance.now();
      let next = 0;
      let claimed = 0;
      const lease = new Date(NOW.getTime() + 120_000);
      await Promise.all(
        Array.from({ length: WRITE_CONCURRENCY }, async () => {
          while (next < changes.length) {
            const change = changes[next];
            next += 1;
            if (!change) continue;
            const claim = await store.claimChange(change, NOW, lease);
            // The notify path's contract: count a change once, right after its claim succeeded.
            if (claim.claimed) {
              await stats.record(change, NOW);
              claimed += 1;
            }
            if (claimed % 10_000 === 0 && claim.claimed) {
              console.log(`  ${claimed} stored, ${((performance.now() - writing) / 1000).toFixed(0)} s`);
            }
          }
        }),
      );
      return (performance.now() - writing) / 1000;
    });
    console.log(`stored ${changes.length} changes in ${writeSeconds.toFixed(1)} s`);

    const queries = new QueryService({
      changes: store,
      stats,
      history: {
        lookup: () => {
          throw new Error('the bench answers from the store only');
        },
      },
      clock: { now: () => NOW },
      retentionDays: 400,
      risk: RISK,
    });

    const specs = actors();
    const inRange = (days: number) =>
      times.filter((time) => time >= NOW.getTime() - days * 86_400_000).length;
    const lookupCost = (events: number) => {
      const pages = Math.max(1, Math.ceil(events / LOOKUP_PAGE));
      return { pages, lookupSeconds: pages * LOOKUP_SECONDS_PER_PAGE };
    };

    async function time(
      label: string,
      texts: string[],
      cost: { pages: number; lookupSeconds: number; lookupNote: string },
    ): Promise<Timing> {
      const run = async (text: string) => {
        const query = parsed(text);
        const answer = await queries.answer(query);
        renderQueryAnswer(query, answer, NOW);
        return answer.kind === 'list' ? answer.matched : answer.kind === 'stats' ? answer.total : 0;
      };
      for (let index = 0; index < WARM_UP; index += 1) await run(texts[index % texts.length] ?? '');
      const samples: number[] = [];
      let matched = 0;
      for (let index = 0; index < RUNS; index += 1) {
        const started = performance.now();
        matched += await run(texts[index % texts.length] ?? '');
        samples.push(performance.now() - started);
      }
      samples.sort((left, right) => left - right);
      const timing = {
        label,
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
        max: samples[samples.length - 1] ?? Number.NaN,
        matched: matched / RUNS,
        ...cost,
      };
      console.log(
        `${label}: p50 ${timing.p50.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms, max ${timing.max.toFixed(1)} ms, ` +
          `${timing.matched.toFixed(0)} matched; LookupEvents ${cost.pages} pages = ${cost.lookupSeconds} s`,
      );
      return timing;
    }

    const sevenDays = inRange(7);
    const statsFrom = Date.parse(statsStart(parsed('stats 30d')));
    const thirtyDays = times.filter((time) => time >= statsFrom).length;
    const actorNames = specs.filter((_, index) => index % 5 === 0).map((actor) => actor.name);
    const roleNames = Array.from({ length: 10 }, (_, index) => `app-role-${index * 29}`);
    const perRole = roleNames.map(
      (role) =>
        changes.filter(
          (change) =>
            change.target.name === role && Date.parse(change.eventTime) >= NOW.getTime() - 7 * 86_400_000,
        ).length,
    );
    const roleEvents = Math.max(...perRole);

    const timings = [
      await time(
        '`7d by <actor>`',
        actorNames.map((name) => `7d by ${name}`),
        {
          ...lookupCost(sevenDays),
          lookupNote: `every IAM event of the 7 days (${sevenDays.toLocaleString('en-US')}): LookupEvents takes one attribute, so it can't ask for one actor's writes`,
        },
      ),
      await time(
        '`on role/<name>` (7 days)',
        roleNames.map((name) => `on role/${name}`),
        {
          ...lookupCost(roleEvents),
          lookupNote: `\`ResourceName\` narrows it to the role's events (at most ${roleEvents} here); by name alone, without the attribute, it is the ${lookupCost(sevenDays).pages} pages of the whole range`,
        },
      ),
      await time('`stats 30d`', ['stats 30d'], {
        ...lookupCost(thirtyDays),
        lookupNote: `every IAM event of the 30 days (${thirtyDays.toLocaleString('en-US')}) read and counted`,
      }),
    ];

    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const seconds = (value: number) =>
      value >= 120 ? `${(value / 60).toFixed(1)} min` : `${value.toFixed(1)} s`;
    const rows = timings.map((timing) => {
      const ratio = timing.p95 / TARGET_P95_MS;
      const verdict = ratio <= 1 ? 'met' : 'missed';
      return `| ${timing.label} | ${timing.matched.toFixed(0)} | ${ms(timing.p50)} | ${ms(timing.p95)} | ≤ 300 ms (ratio ${ratio.toFixed(2)}, ${verdict}) | ${timing.pages} ${timing.pages === 1 ? 'page' : 'pages'} ≈ ${seconds(timing.lookupSeconds)} (${((timing.lookupSeconds * 1000) / timing.p95).toFixed(0)}× slower) |`;
    });
    const notes = timings.map((timing) => `* ${timing.label}: ${timing.lookupNote}.`);
    const smaller =
      CHANGES < 100_000 ? `\n**Smaller load than the 100,000 target** (CHANGES=${CHANGES}).\n` : '';
    const body = `${changes.length.toLocaleString('en-US')} changes over ${DAYS} days from ${ACTORS} actors on ${RESOURCES} resources, written into an in-process dynalite with the notify path's calls (\`DynamoChangeStore.claimChange\`, then \`DynamoStatsStore.record\` once per claimed change), ${WRITE_CONCURRENCY} at a time. Each query is parsed, answered by \`QueryService.answer\` and rendered: ${WARM_UP} warm-up runs, then ${RUNS} timed runs (10 actors or roles in turn; the default limit of 20 lines).
${smaller}
| query | changes matched | p50 | p95 | target | through LookupEvents (2 req/s, 50 events a page) |
| ----- | --------------- | --- | --- | ------ | ------------------------------------------------ |
${rows.join('\n')}

${notes.join('\n')}
* LookupEvents figures count only the IAM writes stored here; \`EventSource = iam.amazonaws.com\` also returns every read-only IAM call (Get*, List*), usually many more, so the real cost is higher.

| load | value |
| ---- | ----- |
| generate and judge ${changes.length.toLocaleString('en-US')} changes | ${generateSeconds.toFixed(1)} s |
| write them (claim + count) | ${writeSeconds.toFixed(1)} s (${Math.round(changes.length / writeSeconds).toLocaleString('en-US')} changes/s on dynalite) |
| peak memory while writing | RSS ${peakRssMiB.toFixed(0)} MiB, heap ${peakHeapMiB.toFixed(0)} MiB |

dynalite runs in the benchmark's own process (LevelDB in memory), so these latencies include its CPU work and no network; DynamoDB itself answers a query in single-digit milliseconds plus the network.`;
    writeSection(
      'queries',
      `/iam-changes queries on ${changes.length.toLocaleString('en-US')} stored changes`,
      body,
    );
    console.log(body);
  } finally {
    await db.stop();
  }
}

await main();
