/**
 * The Block Kit limits Slack enforces, checked by the sandbox so a message or modal Slack would refuse is refused
 * locally too: `invalid_blocks` for messages and `invalid_arguments` for views, with Slack's
 * `response_metadata.messages` lines naming where (`[ERROR] … [json-pointer:/blocks/3/text/text]`).
 */

type Json = Record<string, unknown>;

const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  messageText: 40_000,
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
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  overflowOptions: 5,
  optionText: 75,
  optionValue: 150,
  viewTitle: 24,
  viewButton: 24,
  callbackId: 255,
  privateMetadata: 3000,
  inputLabel: 2000,
} as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function error(pointer: string, message: string): string {
  return `[ERROR] ${message} [json-pointer:${pointer}]`;
}

function checkText(pointer: string, value: unknown, max: number, out: string[], plainOnly = false): void {
  if (!isObject(value)) {
    out.push(error(pointer, 'must provide an object'));
    return;
  }
  if (value.type !== 'plain_text' && (plainOnly || value.type !== 'mrkdwn')) {
    out.push(error(`${pointer}/type`, `must be ${plainOnly ? 'plain_text' : 'plain_text or mrkdwn'}`));
  }
  const text = value.text;
  if (typeof text !== 'string' || text.length === 0)
    out.push(error(`${pointer}/text`, 'must be more than 0 characters'));
  else if (text.length > max) out.push(error(`${pointer}/text`, `must be less than ${max + 1} characters`));
}

function checkConfirm(pointer: string, confirm: unknown, out: string[]): void {
  if (confirm === undefined) return;
  if (!isObject(confirm)) {
    out.push(error(pointer, 'must provide an object'));
    return;
  }
  checkText(`${pointer}/title`, confirm.title, LIMITS.confirmTitle, out, true);
  checkText(`${pointer}/text`, confirm.text, LIMITS.confirmText, out);
  checkText(`${pointer}/confirm`, confirm.confirm, LIMITS.confirmButton, out, true);
  checkText(`${pointer}/deny`, confirm.deny, LIMITS.confirmButton, out, true);
}

function checkElement(pointer: string, element: unknown, actionIds: Set<string>, out: string[]): void {
  if (!isObject(element)) {
    out.push(error(pointer, 'must provide an object'));
    return;
  }
  const actionId = element.action_id;
  if (typeof actionId === 'string') {
    if (actionId.length > LIMITS.actionId) {
      out.push(error(`${pointer}/action_id`, `must be less than ${LIMITS.actionId + 1} characters`));
    }
    if (actionIds.has(actionId)) out.push(error(`${pointer}/action_id`, `duplicate action_id ${actionId}`));
    actionIds.add(actionId);
  }
  checkConfirm(`${pointer}/confirm`, element.confirm, out);
  if (element.type === 'button') {
    checkText(`${pointer}/text`, element.text, LIMITS.buttonText, out, true);
    if (typeof element.value === 'string' && element.value.length > LIMITS.buttonValue) {
      out.push(error(`${pointer}/value`, `must be less than ${LIMITS.buttonValue + 1} characters`));
    }
  }
  if (element.type === 'overflow') {
    const options = Array.isArray(element.options) ? element.options : [];
    if (options.length < 1 || options.length > LIMITS.overflowOptions) {
      out.push(error(`${pointer}/options`, `must provide between 1 and ${LIMITS.overflowOptions} items`));
    }
    options.forEach((option, index) => {
      const where = `${pointer}/options/${index}`;
      if (!isObject(option)) return;
      checkText(`${where}/text`, option.text, LIMITS.optionText, out, true);
      if (typeof option.value === 'string' && option.value.length > LIMITS.optionValue) {
        out.push(error(`${where}/value`, `must be less than ${LIMITS.optionValue + 1} characters`));
      }
    });
  }
}

function checkBlock(pointer: string, block: unknown, blockIds: Set<string>, out: string[]): void {
  if (!isObject(block)) {
    out.push(error(pointer, 'must provide an object'));
    return;
  }
  const blockId = block.block_id;
  if (typeof blockId === 'string') {
    if (blockId.length > LIMITS.blockId)
      out.push(error(`${pointer}/block_id`, 'must be less than 256 characters'));
    if (blockIds.has(blockId)) out.push(error(`${pointer}/block_id`, `duplicate block_id ${blockId}`));
    blockIds.add(blockId);
  }
  const actionIds = new Set<string>();
  switch (block.type) {
    case 'header':
      checkText(`${pointer}/text`, block.text, LIMITS.headerText, out, true);
      break;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        out.push(error(pointer, 'must provide text or fields'));
      }
      if (block.text !== undefined) checkText(`${pointer}/text`, block.text, LIMITS.sectionText, out);
      if (block.fields !== undefined) {
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (fields.length > LIMITS.fields)
          out.push(error(`${pointer}/fields`, `must provide at most ${LIMITS.fields} items`));
        fields.forEach((field, index) => {
          checkText(`${pointer}/fields/${index}`, field, LIMITS.fieldText, out);
        });
      }
      if (block.accessory !== undefined)
        checkElement(`${pointer}/accessory`, block.accessory, actionIds, out);
      break;
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length < 1 || elements.length > LIMITS.contextElements) {
        out.push(error(`${pointer}/elements`, `must provide between 1 and ${LIMITS.contextElements} items`));
      }
      elements.forEach((item, index) => {
        if (isObject(item) && item.type !== 'image')
          checkText(`${pointer}/elements/${index}`, item, LIMITS.sectionText, out);
      });
      break;
    }
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length < 1 || elements.length > LIMITS.actionsElements) {
        out.push(error(`${pointer}/elements`, `must provide between 1 and ${LIMITS.actionsElements} items`));
      }
      elements.forEach((item, index) => {
        checkElement(`${pointer}/elements/${index}`, item, actionIds, out);
      });
      break;
    }
    case 'input':
      checkText(`${pointer}/label`, block.label, LIMITS.inputLabel, out, true);
      if (!isObject(block.element)) out.push(error(`${pointer}/element`, 'must provide an object'));
      else checkElement(`${pointer}/element`, block.element, actionIds, out);
      break;
    default:
      break;
  }
}

/**
 * What Slack would say about a message's text and blocks (or, with `maxBlocks` 100, a Home tab's blocks); empty
 * when it would take them.
 */
export function messageViolations(
  text: string | undefined,
  blocks: unknown[] | undefined,
  maxBlocks: number = LIMITS.messageBlocks,
): string[] {
  const out: string[] = [];
  if (text !== undefined && text.length > LIMITS.messageText) out.push(error('/text', 'msg_too_long'));
  if (blocks === undefined) return out;
  if (blocks.length > maxBlocks) {
    out.push(error('/blocks', `must provide at most ${maxBlocks} items`));
  }
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    checkBlock(`/blocks/${index}`, block, blockIds, out);
  });
  return out;
}

/** What Slack would say about a modal view; empty when it would take it. */
export function viewViolations(view: Json): string[] {
  const out: string[] = [];
  if (view.type !== 'modal') out.push(error('/view/type', 'must be modal'));
  checkText('/view/title', view.title, LIMITS.viewTitle, out, true);
  if (view.submit !== undefined) checkText('/view/submit', view.submit, LIMITS.viewButton, out, true);
  if (view.close !== undefined) checkText('/view/close', view.close, LIMITS.viewButton, out, true);
  if (typeof view.callback_id === 'string' && view.callback_id.length > LIMITS.callbackId) {
    out.push(error('/view/callback_id', `must be less than ${LIMITS.callbackId + 1} characters`));
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > LIMITS.privateMetadata) {
    out.push(error('/view/private_metadata', `must be less than ${LIMITS.privateMetadata + 1} characters`));
  }
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  if (blocks.length > LIMITS.viewBlocks)
    out.push(error('/view/blocks', `must provide at most ${LIMITS.viewBlocks} items`));
  if (view.submit === undefined && blocks.some((block) => isObject(block) && block.type === 'input')) {
    out.push(error('/view/submit', 'must provide submit when the view has input blocks'));
  }
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    checkBlock(`/view/blocks/${index}`, block, blockIds, out);
  });
  return out;
}
