/**
 * What the notify function needs only for CloudWatch alarms, in one module so it is one chunk, loaded with the
 * first alarm (or by the scheduled follow-up's run): the log group and CloudTrail searches with their SDK clients,
 * and the follow-up with its cursor store. An IAM event never loads any of it.
 */
export { AlarmFollowService } from '../app/alarm-follow';
export { createAlarmSearch } from '../aws/alarm-search';
export { DynamoAlarmCursorStore } from '../store/dynamo-alarm-cursors';
