/**
 * What the handler tests give the real Lambda handlers: the environment they build themselves from (AWS on
 * moto_server, DynamoDB on dynalite, Slack on the local server), and SNS events as Lambda delivers them.
 */
import type { SNSEvent } from 'aws-lambda';

/** The emulators a handler test runs on. */
export interface HandlerEmulators {
  moto: { endpoint: string };
  dynalite: { endpoint: string };
  slack: { url: string };
}

/** The environment a handler builds itself from, on the emulators, with `extra` on top. */
export function handlerEnv(
  emulators: HandlerEmulators,
  tableName: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: emulators.moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynalite.endpoint,
    TABLE_NAME: tableName,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_API_URL: emulators.slack.url,
    ...extra,
  };
}

let messages = 0;

/** The Lambda SNS event of one message on the jobs topic (a new message id unless given). */
export function jobsEvent(message: string, messageId = `message-${++messages}`): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:iam-changes-jobs-test:sub',
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:iam-changes-jobs-test',
          Message: message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'EXAMPLE',
          UnsubscribeUrl: 'EXAMPLE',
          MessageAttributes: {},
        },
      },
    ],
  };
}
