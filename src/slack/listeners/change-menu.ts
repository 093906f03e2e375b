/**
 * The overflow menu on a change's line in a burst thread (`change.menu:<eventId>`): each option's value is
 * `<action id>|<eventId>`, dispatched to the same handlers as the alert's own buttons.
 */
import { ACTION_IDS, parseMenuValue } from '../action-ids';

export { parseMenuValue } from '../action-ids';

import { acknowledgeChange } from './acknowledge';
import { type ActionArgs, interactionOf, type ListenerDependencies } from './context';
import { openConfirmation } from './respond';
import { openDiff } from './view-diff';

/** The burst thread's menu: `ack()`, then the chosen option's handler. */
export async function onChangeMenu(
  { ack, body, action, signed }: ActionArgs,
  deps: ListenerDependencies,
): Promise<void> {
  await ack();
  const chosen = parseMenuValue(action.selected_option?.value ?? '');
  if (!chosen) {
    deps.log.warn('a menu option the bot cannot read', { actionId: action.action_id });
    return;
  }
  const interaction = interactionOf(body, chosen.eventId, signed);
  switch (chosen.actionId) {
    case ACTION_IDS.ACKNOWLEDGE:
      return acknowledgeChange(interaction, deps);
    case ACTION_IDS.VIEW_DIFF:
      return openDiff(interaction, deps);
    case ACTION_IDS.REVERT:
      return openConfirmation('revert', interaction, deps);
    case ACTION_IDS.QUARANTINE:
      return openConfirmation('quarantine', interaction, deps);
    case ACTION_IDS.LIFT_QUARANTINE:
      return openConfirmation('lift-quarantine', interaction, deps);
    default:
      deps.log.warn('a menu option the bot does not know', { option: chosen.actionId });
  }
}
