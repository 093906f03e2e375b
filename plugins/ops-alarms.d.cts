/** A CloudFormation template as the plugin reads and changes it. */
interface Template {
  Resources: Record<
    string,
    { Type: string; Condition?: string; Properties?: Record<string, unknown> } & Record<string, unknown>
  >;
}

/** The Serverless Framework plugin (see `ops-alarms.cjs`). */
declare class OpsAlarmsPlugin {
  constructor(serverless: unknown);
  hooks: Record<string, () => void>;
}
declare namespace OpsAlarmsPlugin {
  /** Adds the ops alarms, the rules' dead-letter queue and its policy, and the targets' retry policies, in place. */
  function addOperationalAlarms<T extends Template>(template: T, options: { prefix: string }): T;
}
export = OpsAlarmsPlugin;
