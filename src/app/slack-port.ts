/**
 * The Slack port of the responder path: what the Slack listeners and the worker call beyond posting and
 * updating messages — modals, ephemeral messages, user groups and names, and slash-command answers through
 * `response_url`. Implemented by `WebApiSlackGateway` (`src/slack/web-api-gateway.ts`); tests and the local
 * runtime point it at a local Slack server.
 *
 * Views and blocks are plain JSON from the pure builders in `src/slack`: this layer does not look inside them.
 */
import type { SlackGateway } from './ports';

/** A modal view as the builders make it (`type: 'modal'`, title, blocks, …). */
export type SlackView = object;

/** Where a modal is, and the hash Slack gave its current version. */
export interface ViewRef {
  viewId: string;
  /** Pass it back to `updateView` to refuse overwriting a newer version (Slack answers `hash_conflict`). */
  hash?: string;
}

/** A message only one person sees, in a channel (or in a thread of it). */
export interface EphemeralMessage {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
}

/** An answer posted to a slash command's or an action's `response_url`. */
export interface ResponseMessage {
  /** `ephemeral` (the default) shows it to the person who asked; `in_channel` to everyone. */
  response_type?: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: unknown[];
  /** Replace the message the `response_url` belongs to (an earlier answer) instead of adding one. */
  replace_original?: boolean;
  /**
   * Delete the message the `response_url` belongs to (an earlier ephemeral answer, such as a "searching" note)
   * instead of posting: an ephemeral note cannot be replaced by a message the whole channel sees.
   */
  delete_original?: boolean;
}

/**
 * Slack as the listeners and the worker use it. Every method throws a `SlackDeliveryError` when Slack refuses
 * or cannot be reached (after the client's bounded retries).
 */
export interface SlackInteractionGateway extends SlackGateway {
  /** `views.open`: opens a modal in answer to an interaction (its `trigger_id` is valid for 3 seconds). */
  openView(triggerId: string, view: SlackView): Promise<ViewRef>;
  /** `views.update` by view id; with `hash`, only when the view is still the version that hash names. */
  updateView(viewId: string, view: SlackView, hash?: string): Promise<ViewRef>;
  /** `views.publish`: sets a user's Home tab of the app to `view` (`type: home`). */
  publishView(userId: string, view: SlackView): Promise<void>;
  /** `chat.postEphemeral`: a message only `user` sees. */
  postEphemeral(message: EphemeralMessage): Promise<void>;
  /** `usergroups.users.list`: the user ids in a user group (`S…`). */
  userGroupMembers(groupId: string): Promise<string[]>;
  /** `users.info`: the name people know the user by (display name, else real name, else handle). */
  userName(userId: string): Promise<string>;
  /**
   * A plain HTTPS POST of JSON to a `response_url` (Slack accepts five within 30 minutes per URL). Only Slack's
   * own hosts (and the configured API's origin, for a local Slack) are posted to.
   */
  respond(responseUrl: string, message: ResponseMessage): Promise<void>;
}
