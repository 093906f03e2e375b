/**
 * Bolt's `App` and `AwsLambdaReceiver`, each loaded from its own module rather than from `@slack/bolt`'s index.
 * The index loads every receiver Bolt has — Express with its body parsers and encodings, OAuth — and the Slack
 * function uses one: skipping it takes about a third off the function's cold start (`bench/cold-start.ts`).
 * Types still come from `@slack/bolt`; `test/handlers/imports.test.ts` checks the bundle leaves Express out, and
 * the handler tests run these classes on real signed requests.
 *
 * Bolt ships CommonJS: bundled, `default` is the class; through Node's own loader (tests, `npm start`) it is the
 * module object, whose `default` is the class.
 */
import type { App as BoltApp, AwsLambdaReceiver as BoltAwsLambdaReceiver } from '@slack/bolt';
import * as appModule from '@slack/bolt/dist/App.js';
import * as receiverModule from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';

/** The class a CommonJS module exports as `default`, however the module was loaded. */
function classOf<T>(namespace: { default: unknown }): T {
  const exported = namespace.default as { default?: unknown };
  return (typeof exported === 'function' ? exported : exported.default) as T;
}

/** Bolt's `App`. */
export const App = classOf<typeof BoltApp>(appModule);
export type App = BoltApp;
/** Bolt's receiver for API Gateway events on Lambda: verifies each request's signature, answers with the ack. */
export const AwsLambdaReceiver = classOf<typeof BoltAwsLambdaReceiver>(receiverModule);
export type AwsLambdaReceiver = BoltAwsLambdaReceiver;
/** Bolt's log levels (`@slack/logger`'s, which `App` re-exports). */
export const { LogLevel } = appModule;
