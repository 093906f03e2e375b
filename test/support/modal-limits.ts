/**
 * Slack's limits for modal views as a test helper: every rendered modal in the tests goes through
 * {@link assertModalLimits}, so a builder that outgrows a limit fails here rather than with `invalid_arguments`
 * from `views.open` / `views.update`. The per-block checks are those of {@link blockKitViolations}.
 */
import { expect } from 'vitest';
import { blockKitViolations } from './block-kit-limits';

const LIMITS = {
  blocks: 100,
  title: 24,
  closeOrSubmit: 24,
  callbackId: 255,
  privateMetadata: 3000,
  /** Slack rejects views whose JSON is larger than this. */
  viewBytes: 250_000,
} as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkPlain(where: string, value: unknown, max: number, out: string[]): void {
  if (!isObject(value) || value.type !== 'plain_text') {
    out.push(`${where}: must be a plain_text object`);
    return;
  }
  const text = value.text;
  if (typeof text !== 'string' || text.length === 0) out.push(`${where}: empty text`);
  else if (text.length > max) out.push(`${where}: ${text.length} characters (max ${max})`);
}

/** Every string of a value, deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isObject(value)) return Object.values(value).flatMap(strings);
  return [];
}

/** Every way a modal view breaks Slack's limits, in words; empty when it keeps them all. */
export function modalViolations(view: unknown): string[] {
  const out: string[] = [];
  if (!isObject(view)) return ['view: not an object'];
  if (view.type !== 'modal') out.push(`type: ${String(view.type)} (expected modal)`);
  checkPlain('title', view.title, LIMITS.title, out);
  if (view.close !== undefined) checkPlain('close', view.close, LIMITS.closeOrSubmit, out);
  else out.push('close: a modal without a close button');
  if (view.submit !== undefined) checkPlain('submit', view.submit, LIMITS.closeOrSubmit, out);
  if (typeof view.callback_id === 'string' && view.callback_id.length > LIMITS.callbackId) {
    out.push(`callback_id: ${view.callback_id.length} characters (max ${LIMITS.callbackId})`);
  }
  if (view.private_metadata !== undefined) {
    if (typeof view.private_metadata !== 'string') out.push('private_metadata: not a string');
    else if (view.private_metadata.length > LIMITS.privateMetadata) {
      out.push(
        `private_metadata: ${view.private_metadata.length} characters (max ${LIMITS.privateMetadata})`,
      );
    }
  }
  const blocks = Array.isArray(view.blocks) ? view.blocks : undefined;
  if (!blocks) out.push('blocks: not a list');
  else {
    if (blocks.length > LIMITS.blocks) out.push(`blocks: ${blocks.length} blocks (max ${LIMITS.blocks})`);
    // The message checker knows every block; its 50-block message limit is not a modal's (100, checked above).
    const perBlock = blockKitViolations({ text: 'modal', blocks }).filter(
      (violation) => !/^blocks: \d+ blocks \(max 50\)$/.test(violation),
    );
    out.push(...perBlock);
  }
  const bytes = Buffer.byteLength(JSON.stringify(view), 'utf8');
  if (bytes > LIMITS.viewBytes) out.push(`view: ${bytes} bytes of JSON (max ${LIMITS.viewBytes})`);
  for (const text of strings(view)) {
    if (/<!(?:channel|here|everyone)>/.test(text)) out.push(`raw mention in: ${text.slice(0, 120)}`);
  }
  return out;
}

/** Fails the test with every violated limit when a modal view breaks Slack's limits. */
export function assertModalLimits(view: unknown): void {
  expect(modalViolations(view), 'modal limits').toEqual([]);
}
