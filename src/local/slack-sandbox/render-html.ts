/**
 * Block Kit to HTML for the sandbox page: messages (header, section with text, fields and an accessory, context,
 * actions, divider, image) and modals (the same blocks plus input blocks). Pure: blocks in, HTML out; every text
 * goes through `mrkdwn.ts`, so nothing from a message becomes markup.
 *
 * Interactive elements carry `data-*` attributes naming their block and action; the page sends those ids back
 * and the sandbox builds the interaction payload from the stored message or view, as Slack does. A confirm
 * dialog rides along as `data-confirm` (JSON with its HTML already escaped). Blocks the sandbox cannot draw are
 * shown as such, with their JSON, rather than silently dropped.
 */
import { escapeHtml, type MrkdwnOptions, mrkdwnToHtml, plainTextToHtml } from './mrkdwn';

type Json = Record<string, unknown>;

/** How interactive elements and links are drawn. */
export interface RenderHtmlOptions extends MrkdwnOptions {
  /** Errors from a `response_action: "errors"`, by block id, shown under their input. */
  errors?: Record<string, string>;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A text object (`plain_text` or `mrkdwn`) as HTML; empty when it is not one. */
export function textObjectHtml(value: unknown, options: RenderHtmlOptions = {}): string {
  if (!isObject(value)) return '';
  const text = str(value.text) ?? '';
  if (value.type === 'mrkdwn') return mrkdwnToHtml(text, options);
  return plainTextToHtml(text, value.emoji !== false);
}

function attr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeHtml(value)}"`;
}

function confirmAttr(confirm: unknown, options: RenderHtmlOptions): string {
  if (!isObject(confirm)) return '';
  const dialog = {
    title: textObjectHtml(confirm.title, options) || 'Are you sure?',
    html: textObjectHtml(confirm.text, options),
    confirm: textObjectHtml(confirm.confirm, options) || 'Yes',
    deny: textObjectHtml(confirm.deny, options) || 'Cancel',
    style: str(confirm.style) ?? '',
  };
  return attr('data-confirm', JSON.stringify(dialog));
}

function ids(blockId: string, element: Json): string {
  return `${attr('data-block-id', blockId)}${attr('data-action-id', str(element.action_id) ?? '')}`;
}

function optionsOf(element: Json): Json[] {
  const direct = Array.isArray(element.options) ? element.options.filter(isObject) : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups.filter(isObject).flatMap((group) => optionsOf(group))
    : [];
  return [...direct, ...grouped];
}

function button(blockId: string, element: Json, options: RenderHtmlOptions): string {
  const style = str(element.style);
  const url = str(element.url);
  const classes = `bk-button${style === 'primary' ? ' bk-primary' : style === 'danger' ? ' bk-danger' : ''}`;
  return (
    `<button type="button" class="${classes}" data-kind="button"${ids(blockId, element)}` +
    `${attr('data-url', url && /^https?:\/\//i.test(url) ? url : undefined)}${confirmAttr(element.confirm, options)}>` +
    `${textObjectHtml(element.text, options)}</button>`
  );
}

function overflow(blockId: string, element: Json, options: RenderHtmlOptions): string {
  const items = optionsOf(element)
    .map(
      (option) =>
        `<button type="button" class="bk-menu-item" data-kind="overflow-option"${ids(blockId, element)}` +
        `${attr('data-value', str(option.value) ?? '')}${confirmAttr(element.confirm, options)}>` +
        `${textObjectHtml(option.text, options)}</button>`,
    )
    .join('');
  return (
    `<details class="bk-overflow"><summary class="bk-button bk-overflow-toggle" aria-label="More actions">⋯</summary>` +
    `<div class="bk-menu">${items}</div></details>`
  );
}

function selectMenu(blockId: string, element: Json, options: RenderHtmlOptions, inInput: boolean): string {
  const initial = isObject(element.initial_option) ? str(element.initial_option.value) : undefined;
  const placeholder = textObjectHtml(element.placeholder, options) || 'Select an item';
  const choices = optionsOf(element)
    .map((option) => {
      const value = str(option.value) ?? '';
      const label = textObjectHtml(option.text, options).replace(/<[^>]*>/g, '');
      return `<option value="${escapeHtml(value)}"${value === initial ? ' selected' : ''}>${label}</option>`;
    })
    .join('');
  const kind = inInput ? 'data-input-type="static_select"' : 'data-kind="select"';
  return (
    `<select class="bk-select" ${kind}${ids(blockId, element)}${confirmAttr(element.confirm, options)}>` +
    `<option value=""${initial === undefined ? ' selected' : ''} disabled>${placeholder.replace(/<[^>]*>/g, '')}</option>${choices}</select>`
  );
}

function image(element: Json, className: string): string {
  const url = str(element.image_url);
  const alt = str(element.alt_text) ?? '';
  if (url === undefined || !/^https:\/\//i.test(url))
    return `<span class="${className}-alt">[${escapeHtml(alt)}]</span>`;
  return `<img class="${className}" src="${escapeHtml(url)}" alt="${escapeHtml(alt)}" loading="lazy" referrerpolicy="no-referrer">`;
}

function unsupported(what: string, value: unknown): string {
  return (
    `<details class="bk-unsupported"><summary>${escapeHtml(what)} — not drawn by the sandbox</summary>` +
    `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre></details>`
  );
}

/** An interactive element of an actions block or a section accessory. */
function element(blockId: string, value: unknown, options: RenderHtmlOptions): string {
  if (!isObject(value)) return '';
  switch (value.type) {
    case 'button':
      return button(blockId, value, options);
    case 'overflow':
      return overflow(blockId, value, options);
    case 'static_select':
      return selectMenu(blockId, value, options, false);
    case 'image':
      return image(value, 'bk-accessory-image');
    default:
      return unsupported(`element ${String(value.type)}`, value);
  }
}

function inputElement(blockId: string, value: Json, options: RenderHtmlOptions): string {
  const common = `${ids(blockId, value)}${attr('placeholder', textObjectHtml(value.placeholder, options).replace(/<[^>]*>/g, '') || undefined)}`;
  switch (value.type) {
    case 'plain_text_input': {
      const initial = str(value.initial_value) ?? '';
      const lengths = `${typeof value.min_length === 'number' ? ` minlength="${value.min_length}"` : ''}${typeof value.max_length === 'number' ? ` maxlength="${value.max_length}"` : ''}`;
      return value.multiline === true
        ? `<textarea class="bk-input" rows="4" data-input-type="plain_text_input"${common}${lengths}>${escapeHtml(initial)}</textarea>`
        : `<input class="bk-input" type="text" data-input-type="plain_text_input"${common}${lengths} value="${escapeHtml(initial)}">`;
    }
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input': {
      const type =
        value.type === 'number_input' ? 'number' : value.type === 'email_text_input' ? 'email' : 'url';
      return `<input class="bk-input" type="${type}" data-input-type="${value.type}"${common} value="${escapeHtml(str(value.initial_value) ?? '')}">`;
    }
    case 'datepicker':
      return `<input class="bk-input" type="date" data-input-type="datepicker"${common} value="${escapeHtml(str(value.initial_date) ?? '')}">`;
    case 'static_select':
      return selectMenu(blockId, value, options, true);
    case 'radio_buttons':
    case 'checkboxes': {
      const type = value.type === 'radio_buttons' ? 'radio' : 'checkbox';
      const initial = new Set(
        (value.type === 'radio_buttons'
          ? [value.initial_option]
          : Array.isArray(value.initial_options)
            ? value.initial_options
            : []
        )
          .filter(isObject)
          .map((option) => str(option.value)),
      );
      const name = `${blockId}.${str(value.action_id) ?? ''}`;
      return `<div class="bk-choices" data-input-type="${value.type}"${ids(blockId, value)}>${optionsOf(value)
        .map((option) => {
          const optionValue = str(option.value) ?? '';
          return `<label class="bk-choice"><input type="${type}" name="${escapeHtml(name)}" value="${escapeHtml(optionValue)}"${initial.has(optionValue) ? ' checked' : ''}> ${textObjectHtml(option.text, options)}</label>`;
        })
        .join('')}</div>`;
    }
    default:
      return unsupported(`input element ${String(value.type)}`, value);
  }
}

function sectionBlock(block: Json, blockId: string, options: RenderHtmlOptions): string {
  const text =
    block.text === undefined ? '' : `<div class="bk-text">${textObjectHtml(block.text, options)}</div>`;
  const fields = Array.isArray(block.fields)
    ? `<div class="bk-fields">${block.fields.map((field) => `<div class="bk-field">${textObjectHtml(field, options)}</div>`).join('')}</div>`
    : '';
  const accessory =
    block.accessory === undefined
      ? ''
      : `<div class="bk-accessory">${element(blockId, block.accessory, options)}</div>`;
  return `<div class="bk-section"><div class="bk-section-body">${text}${fields}</div>${accessory}</div>`;
}

function contextBlock(block: Json, options: RenderHtmlOptions): string {
  const elements = Array.isArray(block.elements) ? block.elements : [];
  return `<div class="bk-context">${elements
    .map((item) =>
      isObject(item) && item.type === 'image'
        ? image(item, 'bk-context-image')
        : `<span class="bk-context-item">${textObjectHtml(item, options)}</span>`,
    )
    .join('')}</div>`;
}

function inputBlock(block: Json, blockId: string, options: RenderHtmlOptions): string {
  const label = textObjectHtml(block.label, options);
  const optional = block.optional === true ? ' <span class="bk-optional">(optional)</span>' : '';
  const hint =
    block.hint === undefined ? '' : `<div class="bk-hint">${textObjectHtml(block.hint, options)}</div>`;
  const error = options.errors?.[blockId];
  const errorHtml =
    error === undefined ? '' : `<div class="bk-error" role="alert">${escapeHtml(error)}</div>`;
  const body = isObject(block.element) ? inputElement(blockId, block.element, options) : '';
  return `<div class="bk-input-block${error === undefined ? '' : ' bk-has-error'}"><label class="bk-label">${label}${optional}</label>${body}${hint}${errorHtml}</div>`;
}

/** One block as HTML. */
export function blockHtml(block: unknown, options: RenderHtmlOptions = {}): string {
  if (!isObject(block)) return '';
  const blockId = str(block.block_id) ?? '';
  switch (block.type) {
    case 'header':
      return `<div class="bk-header">${textObjectHtml(block.text, options)}</div>`;
    case 'section':
      return sectionBlock(block, blockId, options);
    case 'context':
      return contextBlock(block, options);
    case 'divider':
      return '<hr class="bk-divider">';
    case 'actions':
      return `<div class="bk-actions">${(Array.isArray(block.elements) ? block.elements : [])
        .map((item) => element(blockId, item, options))
        .join('')}</div>`;
    case 'image': {
      const title =
        block.title === undefined ? '' : `<figcaption>${textObjectHtml(block.title, options)}</figcaption>`;
      return `<figure class="bk-image">${title}${image(block, 'bk-image-img')}</figure>`;
    }
    case 'input':
      return inputBlock(block, blockId, options);
    default:
      return unsupported(`${String(block.type)} block`, block);
  }
}

/**
 * A message's blocks as HTML, or its `text` when it has none (what Slack shows then), followed by its secondary
 * attachments' blocks beside their coloured bar. Only a `#RRGGBB` colour reaches the page.
 */
export function messageHtml(
  text: string,
  blocks: unknown[] | undefined,
  options: RenderHtmlOptions = {},
  attachments: unknown[] = [],
): string {
  const main =
    blocks === undefined || blocks.length === 0
      ? `<div class="bk-section"><div class="bk-section-body"><div class="bk-text">${mrkdwnToHtml(text, options)}</div></div></div>`
      : blocks.map((block) => blockHtml(block, options)).join('');
  const extra = attachments
    .filter(isObject)
    .map((attachment) => {
      const colour = typeof attachment.color === 'string' && /^#[0-9A-Fa-f]{6}$/.test(attachment.color);
      const style = colour ? ` style="border-left-color:${String(attachment.color)}"` : '';
      const inner = Array.isArray(attachment.blocks) ? attachment.blocks : [];
      return `<div class="bk-attachment"${style}>${inner.map((block) => blockHtml(block, options)).join('')}</div>`;
    })
    .join('');
  return main + extra;
}

/** A modal's title, body and buttons as HTML. */
export function viewHtml(
  view: Json,
  options: RenderHtmlOptions = {},
): { title: string; body: string; submit?: string; close: string } {
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  const submit = view.submit === undefined ? undefined : textObjectHtml(view.submit, options);
  return {
    title: textObjectHtml(view.title, options),
    body: blocks.map((block) => blockHtml(block, options)).join(''),
    ...(submit === undefined ? {} : { submit }),
    close: view.close === undefined ? 'Cancel' : textObjectHtml(view.close, options),
  };
}
