import { parseArgs } from 'node:util';
import { explainItems } from '../domain/explain';
import { readInputText } from '../domain/input';
import type { RiskContext } from '../domain/risk/rule';
import { renderAlarm, renderChange } from '../slack/render';
import { type CliCommand, type CliIo, readSource, writeJson } from './command';

const INPUT_HELP = `FILE is any input the bot accepts: a Lambda SNS event, an SNS notification, an EventBridge event,
a CloudTrail record, a CloudTrail log file ({"Records": [...]}), an array of records, the output of
aws cloudtrail lookup-events ({"Events": [{"CloudTrailEvent": "..."}]}), or a CloudWatch alarm message. Without FILE (or with -) the input is read from standard input.

options:
  --expected-actor GLOB   an ARN glob whose changes are lowered one level (repeatable)
  --trusted-account ID    an account id trust policies may name without alarm (repeatable)
  --cis-alarm NAME        an alarm to take as a CIS 4.4 alarm whatever its metric (repeatable)
  --compact               print JSON on one line`;

function parse(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'expected-actor': { type: 'string', multiple: true, default: [] },
      'trusted-account': { type: 'string', multiple: true, default: [] },
      'cis-alarm': { type: 'string', multiple: true, default: [] },
      'no-here': { type: 'boolean', default: false },
      compact: { type: 'boolean', default: false },
    },
  });
  const context: RiskContext = {
    expectedActors: values['expected-actor'] ?? [],
    trustedAccounts: values['trusted-account'] ?? [],
  };
  return { values, file: positionals[0], context };
}

async function explainSource(args: string[], io: CliIo) {
  const { values, file, context } = parse(args);
  const items = readInputText(await readSource(file, io));
  return { values, explanation: explainItems(items, context, { cisAlarmNames: values['cis-alarm'] ?? [] }) };
}

/** `iam-changes explain`: the normalised, judged changes, alarms and skipped records of any input. */
export const explainCommand: CliCommand = {
  name: 'explain',
  usage: `usage: iam-changes explain [FILE|-] [options]\n\n${INPUT_HELP}`,
  async run(args, io) {
    const { values, explanation } = await explainSource(args, io);
    writeJson(io, explanation, values.compact);
    return 0;
  },
};

/** `iam-changes render`: the Slack messages (fallback text + Block Kit) the bot would post. */
export const renderCommand: CliCommand = {
  name: 'render',
  usage: `usage: iam-changes render [FILE|-] [options]\n\n${INPUT_HELP}\n  --no-here               do not mention @here on critical changes`,
  async run(args, io) {
    const { values, explanation } = await explainSource(args, io);
    const options = { mentionOnCritical: !values['no-here'] };
    const messages = [
      ...explanation.alarms.map((alarm) => renderAlarm(alarm)),
      ...explanation.changes.map((change) => renderChange(change, options)),
    ];
    writeJson(io, { messages }, values.compact);
    return 0;
  },
};
