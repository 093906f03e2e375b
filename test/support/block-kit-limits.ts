/**
 * Slack's Block Kit limits as a test helper: every rendered message in the tests goes through
 * {@link assertBlockKitLimits}, so a builder that outgrows a limit fails here rather than with
 * `invalid_blocks` in a real channel.
 */
import { expect } from 'vitest';

interface MessageLike {
  text?: unknown;
  blocks?: unknown;
  attachments?: unknown;
}

type Json = Record<string, unknown>;

const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  fallbackText: 40_000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  inputMaxLength: 3000,
} as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.text === 'string' ? value.text : undefined;
}

function checkText(
  where: string,
  value: unknown,
  max: number,
  out: string[],
  options: { plainOnly?: boolean } = {},
): void {
  if (!isObject(value)) {
    out.push(`${where}: missing text object`);
    return;
  }
  if (value.type !== 'plain_text' && (options.plainOnly || value.type !== 'mrkdwn')) {
    out.push(`${where}: text type ${String(value.type)} not allowed`);
  }
  const text = textOf(value);
  if (text === undefined || text.length === 0) out.push(`${where}: empty text`);
  else if (text.length > max) out.push(`${where}: text is ${text.length} characters (max ${max})`);
}

function checkElement(where: string, element: unknown, actionIds: string[], out: string[]): void {
  if (!isObject(element)) {
    out.push(`${where}: not an object`);
    return;
  }
  if (typeof element.action_id === 'string') {
    actionIds.push(element.action_id);
    if (element.action_id.length > LIMITS.actionId) {
      out.push(`${where}: action_id is ${element.action_id.length} characters (max ${LIMITS.actionId})`);
    }
  }
  if (element.type !== 'button') return;
  checkText(`${where}.text`, element.text, LIMITS.buttonText, out, { plainOnly: true });
  if (typeof element.value === 'string' && element.value.length > LIMITS.buttonValue) {
    out.push(`${where}: value is ${element.value.length} characters (max ${LIMITS.buttonValue})`);
  }
  if (typeof element.url === 'string' && element.url.length > LIMITS.buttonUrl) {
    out.push(`${where}: url is ${element.url.length} characters (max ${LIMITS.buttonUrl})`);
  }
  if (element.confirm !== undefined) {
    const confirm = element.confirm;
    if (!isObject(confirm)) {
      out.push(`${where}.confirm: not an object`);
      return;
    }
    checkText(`${where}.confirm.title`, confirm.title, LIMITS.confirmTitle, out, { plainOnly: true });
    checkText(`${where}.confirm.text`, confirm.text, LIMITS.confirmText, out);
    checkText(`${where}.confirm.confirm`, confirm.confirm, LIMITS.confirmButton, out, { plainOnly: true });
    checkText(`${where}.confirm.deny`, confirm.deny, LIMITS.confirmButton, out, { plainOnly: true });
  }
}

function checkBlock(where: string, block: Json, actionIds: string[], out: string[]): void {
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined)
        out.push(`${where}: neither text nor fields`);
      if (block.text !== undefined) checkText(`${where}.text`, block.text, LIMITS.sectionText, out);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0) {
          out.push(`${where}.fields: must be a non-empty list`);
        } else {
          if (block.fields.length > LIMITS.fields) {
            out.push(`${where}.fields: ${block.fields.length} fields (max ${LIMITS.fields})`);
          }
          block.fields.forEach((field, index) => {
            checkText(`${where}.fields[${index}]`, field, LIMITS.fieldText, out);
          });
        }
      }
      if (block.accessory !== undefined) checkElement(`${where}.accessory`, block.accessory, actionIds, out);
      break;
    }
    case 'header':
      checkText(`${where}.text`, block.text, LIMITS.headerText, out, { plainOnly: true });
      break;
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length === 0) out.push(`${where}: no elements`);
      if (elements.length > LIMITS.contextElements) {
        out.push(`${where}: ${elements.length} elements (max ${LIMITS.contextElements})`);
      }
      elements.forEach((element, index) => {
        if (isObject(element) && element.type !== 'image') {
          checkText(`${where}.elements[${index}]`, element, LIMITS.sectionText, out);
        }
      });
      break;
    }
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length === 0) out.push(`${where}: no elements`);
      if (elements.length > LIMITS.actionsElements) {
        out.push(`${where}: ${elements.length} elements (max ${LIMITS.actionsElements})`);
      }
      elements.forEach((element, index) => {
        checkElement(`${where}.elements[${index}]`, element, actionIds, out);
      });
      break;
    }
    case 'divider':
      break;
    case 'input': {
      checkText(`${where}.label`, block.label, LIMITS.inputLabel, out, { plainOnly: true });
      if (block.hint !== undefined)
        checkText(`${where}.hint`, block.hint, LIMITS.inputHint, out, { plainOnly: true });
      const element = block.element;
      if (!isObject(element)) {
        out.push(`${where}.element: missing`);
        break;
      }
      checkElement(`${where}.element`, element, actionIds, out);
      if (element.placeholder !== undefined) {
        checkText(`${where}.element.placeholder`, element.placeholder, LIMITS.placeholder, out, {
          plainOnly: true,
        });
      }
      if (typeof element.max_length === 'number' && element.max_length > LIMITS.inputMaxLength) {
        out.push(`${where}.element.max_length: ${element.max_length} (max ${LIMITS.inputMaxLength})`);
      }
      break;
    }
    default:
      out.push(`${where}: block type ${String(block.type)} is not checked by this helper`);
  }
}

/** Every way a message breaks Slack's Block Kit limits, in words; empty when it keeps them all. */
export function blockKitViolations(message: MessageLike): string[] {
  const out: string[] = [];
  if (typeof message.text !== 'string' || message.text.trim() === '') {
    out.push('text: the fallback text is missing or empty');
  } else if (message.text.length > LIMITS.fallbackText) {
    out.push(`text: ${message.text.length} characters (max ${LIMITS.fallbackText})`);
  }
  if (!Array.isArray(message.blocks)) {
    out.push('blocks: not a list');
    return out;
  }
  if (message.blocks.length > LIMITS.blocks) {
    out.push(`blocks: ${message.blocks.length} blocks (max ${LIMITS.blocks})`);
  }
  const actionIds: string[] = [];
  const blockIds: string[] = [];
  message.blocks.forEach((block, index) => {
    const where = `blocks[${index}]`;
    if (!isObject(block)) {
      out.push(`${where}: not an object`);
      return;
    }
    if (typeof block.block_id === 'string') {
      blockIds.push(block.block_id);
      if (block.block_id.length > LIMITS.blockId)
        out.push(`${where}: block_id longer than ${LIMITS.blockId}`);
    }
    checkBlock(where, block, actionIds, out);
  });
  if (message.attachments !== undefined) {
    if (!Array.isArray(message.attachments)) out.push('attachments: not a list');
    else
      message.attachments.forEach((attachment, index) => {
        const where = `attachments[${index}]`;
        if (!isObject(attachment)) {
          out.push(`${where}: not an object`);
          return;
        }
        if (attachment.color !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(String(attachment.color)))
          out.push(`${where}.color: ${String(attachment.color)} is not a #RRGGBB colour`);
        const blocks = Array.isArray(attachment.blocks) ? attachment.blocks : [];
        if (blocks.length > LIMITS.blocks)
          out.push(`${where}.blocks: ${blocks.length} (max ${LIMITS.blocks})`);
        blocks.forEach((block, blockIndex) => {
          if (isObject(block)) checkBlock(`${where}.blocks[${blockIndex}]`, block, actionIds, out);
          else out.push(`${where}.blocks[${blockIndex}]: not an object`);
        });
      });
  }
  for (const [name, ids] of [
    ['action_id', actionIds],
    ['block_id', blockIds],
  ] as const) {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) out.push(`${name} ${id} is used more than once`);
      seen.add(id);
    }
  }
  return out;
}

/** Fails the test with every violated limit when a message breaks Slack's Block Kit limits. */
export function assertBlockKitLimits(message: MessageLike): void {
  expect(blockKitViolations(message), 'Block Kit limits').toEqual([]);
}
