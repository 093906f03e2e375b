/**
 * CloudFormation templates as tests read them: YAML with the short intrinsic tags (`!Ref`, `!Sub`, …) read by the
 * Serverless Framework's own CloudFormation reader, and a resolver that evaluates the intrinsic functions with
 * given parameter values, so a test checks what a stack would really get.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The framework's reader: plain YAML first, the CloudFormation tag schema when that fails. */
const parseYaml = require('serverless/lib/utils/fs/parse.js') as (file: string, text: string) => unknown;

type Json = Record<string, unknown>;

/** The parts of a template the tests read. */
export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Json }>;
  Outputs?: Json;
}

/** Reads a YAML (or JSON) template or `serverless.yml` from disk. */
export async function readYamlFile<T = CfnTemplate>(file: string): Promise<T> {
  return parseYaml(file, await readFile(file, 'utf8')) as T;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Where a template is deployed: its parameters' values (defaults where absent) and its pseudo parameters. */
export interface StackContext {
  parameters?: Record<string, string>;
  accountId: string;
  region?: string;
  partition?: string;
}

/**
 * The value CloudFormation would give `node`: intrinsic functions evaluated with the context's parameters,
 * `AWS::NoValue` dropped, a resource's `Ref` as `ref:<id>` and its `Fn::GetAtt` as `<id>.<attribute>`.
 */
export function resolveIn(template: CfnTemplate, context: StackContext, node: unknown): unknown {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': context.accountId,
    'AWS::Partition': context.partition ?? 'aws',
    'AWS::Region': context.region ?? 'us-east-1',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const refOf = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    const parameter = template.Parameters?.[name];
    if (parameter) {
      const value = context.parameters?.[name] ?? String(parameter.Default ?? '');
      return parameter.Type === 'CommaDelimitedList' ? value.split(',') : value;
    }
    if (name in template.Resources) return `ref:${name}`;
    throw new Error(`Ref to nothing: ${name}`);
  };
  const sub = (text: string, variables: Json) =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in variables) return String(variables[name]);
      return name.includes('.') && !name.startsWith('AWS::') ? name : String(refOf(name));
    });
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Json;
    const [key] = Object.keys(object);
    const argument = key === undefined ? undefined : object[key];
    switch (Object.keys(object).length === 1 ? key : undefined) {
      case 'Ref':
        return refOf(String(argument));
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return `${id}.${attribute}`;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as unknown[];
        return walk(holds(String(condition)) ? whenTrue : whenFalse);
      }
      case 'Fn::Join': {
        const [delimiter, items] = argument as [string, unknown];
        return (walk(items) as unknown[]).join(delimiter);
      }
      case 'Fn::Split': {
        const [delimiter, text] = argument as [string, unknown];
        return String(walk(text)).split(delimiter);
      }
      case 'Fn::Select': {
        const [index, items] = argument as [number, unknown];
        return (walk(items) as unknown[])[Number(index)];
      }
      case 'Fn::Sub': {
        if (typeof argument === 'string') return sub(argument, {});
        const [text, variables] = argument as [string, Json];
        return sub(text, walk(variables) as Json);
      }
      case 'Fn::Equals': {
        const [left, right] = (argument as unknown[]).map(walk);
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case 'Fn::Not':
        return !walk((argument as unknown[])[0]);
      case 'Fn::And':
        return (argument as unknown[]).every((item) => walk(item) === true);
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => walk(item) === true);
      case 'Condition':
        return holds(String(argument));
      default:
        return Object.fromEntries(
          Object.entries(object)
            .map(([name, item]) => [name, walk(item)])
            .filter(([, item]) => item !== NO_VALUE),
        );
    }
  };
  const holds = (name: string): boolean => {
    const condition = template.Conditions?.[name];
    if (condition === undefined) throw new Error(`no condition ${name}`);
    return walk(condition) === true;
  };
  return walk(node);
}

/** Whether the named condition holds in the context (no name: always). */
export function conditionHoldsIn(template: CfnTemplate, context: StackContext, name?: string): boolean {
  return name === undefined || resolveIn(template, context, { Condition: name }) === true;
}

/** The resources the stack would create in the context, resolved, by logical id. */
export function resourcesIn(
  template: CfnTemplate,
  context: StackContext,
): Record<string, { Type: string; Properties: Json }> {
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => conditionHoldsIn(template, context, resource.Condition))
      .map(([id, resource]) => [
        id,
        { Type: resource.Type, Properties: resolveIn(template, context, resource.Properties ?? {}) as Json },
      ]),
  );
}
