import { type EscalationMethod, SOURCES } from '../method';

/**
 * `ssm:SendCommand`: runs commands on managed instances and acts with their instance roles.
 *
 * Public sources:
 * - pathfinding.cloud: running a command on an instance gives the instance profile's credentials.
 */
export const ssmSendCommand: EscalationMethod = {
  id: 'ssm-send-command',
  actions: ['ssm:SendCommand'],
  how: 'runs commands on managed instances and acts with their instance roles',
  sources: [SOURCES.pathfinding],
};
