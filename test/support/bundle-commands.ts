/**
 * Every AWS call a function's bundle can make, as IAM actions: each handler is bundled as `serverless package`
 * bundles it (`esbuild.config.cjs`, tree-shaken), and each of the project's own modules left in the bundle is read
 * for the SDK commands it constructs (`new XxxCommand(`, with the client package it imported the name from) and
 * for the responder role it assumes (`fromTemporaryCredentials(` is `sts:AssumeRole`).
 *
 * The SDK's own calls that never run on Lambda (the credential chain's SSO and web-identity clients) are not the
 * project's: only `src/` is read.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../esbuild.config.cjs';

/** One AWS action a bundle can send, and the module that sends it. */
export interface BundledCall {
  action: string;
  module: string;
  /** What the module calls to send it: `new XxxCommand` or `fromTemporaryCredentials`. */
  via?: string;
}

/** IAM's service prefix of each SDK client package the project uses. */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-accessanalyzer': 'access-analyzer',
  '@aws-sdk/client-cloudtrail': 'cloudtrail',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cloudwatch-logs': 'logs',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-organizations': 'organizations',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};

/** The document client's commands, by the DynamoDB action each one sends. */
const DOCUMENT_CLIENT_ACTION: Record<string, string> = {
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  Delete: 'DeleteItem',
  Get: 'GetItem',
  Put: 'PutItem',
  Query: 'Query',
  Scan: 'Scan',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  Update: 'UpdateItem',
};

/** The imported names of a module, by the package they come from (static imports and `await import(…)`). */
function importedNames(source: string): Map<string, string> {
  const names = new Map<string, string>();
  const pattern =
    /(?:import|const)\s+(?:type\s+)?\{([^}]*)\}\s*(?:from\s*|=\s*await\s+import\(\s*)['"](@aws-sdk\/[^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) {
    const [, list = '', pkg = ''] = match;
    for (const entry of list.split(',')) {
      const parts = entry
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+|\s*:\s*/);
      const local = (parts[1] ?? parts[0] ?? '').trim();
      if (local) names.set(local, pkg);
    }
  }
  return names;
}

/**
 * The IAM actions `source` (one module's text) sends. Throws on a command whose package it cannot tell, so a new
 * client or an unusual import is looked at rather than passed over.
 */
export function actionsInSource(source: string, module: string): BundledCall[] {
  const imports = importedNames(source);
  const calls: BundledCall[] = [];
  for (const [, name = ''] of source.matchAll(/new\s+(\w+)Command\s*\(/g)) {
    const pkg = imports.get(`${name}Command`);
    if (pkg === '@aws-sdk/lib-dynamodb') {
      const action = DOCUMENT_CLIENT_ACTION[name];
      if (!action)
        throw new Error(`${module}: no DynamoDB action known for the document client's ${name}Command`);
      calls.push({ action: `dynamodb:${action}`, module, via: `new ${name}Command` });
      continue;
    }
    const prefix = pkg === undefined ? undefined : SERVICE_PREFIX[pkg];
    if (!prefix)
      throw new Error(
        `${module}: cannot tell which service ${name}Command is sent to (${pkg ?? 'no import'})`,
      );
    calls.push({ action: `${prefix}:${name}`, module, via: `new ${name}Command` });
  }
  // The responder role in another account: the credential provider calls sts:AssumeRole with the function's role.
  if (/\bfromTemporaryCredentials\s*\(/.test(source))
    calls.push({ action: 'sts:AssumeRole', module, via: 'fromTemporaryCredentials' });
  return calls;
}

/**
 * Every AWS action the bundle of `src/handlers/<name>/index.ts` can send, one entry per action: the project's
 * modules in the entry and in every chunk it can load (static or dynamic import), and of their commands only those
 * the bundled code still constructs (`new XxxCommand(` in the output: identifiers are kept, tree-shaken code is
 * gone). A chunk the entry cannot reach is never loaded by this function.
 */
export function bundledCalls(name: string): Promise<BundledCall[]> {
  let calls = bundled.get(name);
  if (calls === undefined) {
    calls = readBundledCalls(name);
    bundled.set(name, calls);
  }
  return calls;
}

/** Each handler is bundled once per test file. */
const bundled = new Map<string, Promise<BundledCall[]>>();

async function readBundledCalls(name: string): Promise<BundledCall[]> {
  const result = await build({
    ...esbuildOptions(),
    entryPoints: [`src/handlers/${name}/index.ts`],
    outdir: `/virtual/${name}`,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((file) => file.endsWith(`${name}/index.mjs`));
  if (!entry) throw new Error(`no entry output for ${name}`);
  const reachable = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reachable.has(file)) continue;
    reachable.add(file);
    for (const { path } of outputs[file]?.imports ?? []) if (outputs[path]) pending.push(path);
  }
  const modules = new Set<string>();
  for (const file of reachable) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]?.inputs ?? {})) {
      if (input.startsWith('src/') && bytesInOutput > 0) modules.add(input);
    }
  }
  const code = (result.outputFiles ?? [])
    .filter((file) => [...reachable].some((output) => resolve(output) === file.path))
    .map((file) => file.text)
    .join('\n');
  const byAction = new Map<string, BundledCall>();
  for (const module of [...modules].sort()) {
    for (const call of actionsInSource(await readFile(module, 'utf8'), module)) {
      // esbuild suffixes a name it had to rename (QueryCommand2): the same call.
      const stillThere = new RegExp(`${(call.via ?? '').replace(' ', '\\s+')}\\d*\\s*\\(`).test(code);
      if (stillThere && !byAction.has(call.action))
        byAction.set(call.action, { action: call.action, module });
    }
  }
  return [...byAction.values()].sort((a, b) => a.action.localeCompare(b.action));
}

/** A policy statement as far as this check reads it. */
export interface AllowingStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
}

function matches(pattern: string, action: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(action);
}

/**
 * The calls no Allow statement of the role names (by action, on any resource), less those `notSent` explains
 * (bundled, but never sent by this function: action → why).
 */
export function missingPermissions(
  calls: BundledCall[],
  statements: AllowingStatement[],
  notSent: Record<string, string> = {},
): string[] {
  const allowed = statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
  return calls
    .filter((call) => !(call.action in notSent))
    .filter((call) => !allowed.some((pattern) => matches(pattern, call.action)))
    .map((call) => `${call.action} (${call.module})`);
}
