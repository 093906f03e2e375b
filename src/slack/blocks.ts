/**
 * The smallest Block Kit builders, shared by every renderer. Text passed in is already escaped: these only
 * shape blocks, and keep the one limit that is structural (a context block holds at most 10 elements).
 */
import type { ContextBlock, SectionBlock } from '@slack/types';

/** A plain_text object (headers, button labels, modal titles). */
export function plain(text: string) {
  return { type: 'plain_text' as const, text };
}

/** A section of mrkdwn text. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** A context block of mrkdwn elements, the first 10 (Slack's limit). */
export function context(texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, 10).map((text) => ({ type: 'mrkdwn' as const, text })) };
}
