// The sandbox page: places the HTML the sandbox drew from Block Kit (never markup built here from message text),
// formats <!date> tokens in the reader's time zone, and sends what the user does back to the sandbox, which signs
// it and sends it to the bot as Slack would. Live updates come as server-sent events.

const $ = (id) => document.getElementById(id);

let state;
let channel;
/** What the main pane shows: a conversation (`channel`), or the bot's Home tab. */
let pane = 'channel';
let threadTs;
let loading = false;
let reloadAgain = false;

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-request': '1' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, message: `HTTP ${response.status}` }));
  if (!response.ok && answer.ok === undefined) answer.ok = false;
  return answer;
}

function toast(text) {
  const element = $('toast');
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    element.hidden = true;
  }, 5000);
}

// --- dates -------------------------------------------------------------------------------------------------------

function ordinal(day) {
  const rest = day % 100;
  if (rest >= 11 && rest <= 13) return `${day}th`;
  return `${day}${{ 1: 'st', 2: 'nd', 3: 'rd' }[day % 10] ?? 'th'}`;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function pretty(date) {
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  const tomorrow = new Date(today.getTime() + 86_400_000);
  if (sameDay(date, today)) return 'Today';
  if (sameDay(date, yesterday)) return 'Yesterday';
  if (sameDay(date, tomorrow)) return 'Tomorrow';
  return undefined;
}

function ago(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const steps = [
    [60, 'second'],
    [3600, 'minute'],
    [86_400, 'hour'],
    [2_592_000, 'day'],
    [31_536_000, 'month'],
  ];
  let unit = 'year';
  let size = 31_536_000;
  for (const [limit, name] of steps) {
    if (Math.abs(seconds) < limit) {
      unit = name;
      break;
    }
  }
  size = { second: 1, minute: 60, hour: 3600, day: 86_400, month: 2_592_000, year: 31_536_000 }[unit];
  return format.format(-Math.round(seconds / size), unit);
}

function slackDate(date, format) {
  const month = (style) => date.toLocaleString(undefined, { month: style });
  const dateText = `${month('long')} ${ordinal(date.getDate())}, ${date.getFullYear()}`;
  const dateShort = `${month('short')} ${date.getDate()}, ${date.getFullYear()}`;
  const dateLong = `${date.toLocaleString(undefined, { weekday: 'long' })}, ${dateText}`;
  const tokens = {
    date_num: `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`,
    date: dateText,
    date_short: dateShort,
    date_long: dateLong,
    date_pretty: pretty(date) ?? dateText,
    date_short_pretty: pretty(date) ?? dateShort,
    date_long_pretty: pretty(date) ?? dateLong,
    time: date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }),
    time_secs: date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: ago(date),
  };
  return format.replace(/\{(\w+)\}/g, (whole, name) => tokens[name] ?? whole);
}

function formatDates(root) {
  for (const element of root.querySelectorAll('time.mk-date')) {
    const date = new Date(element.getAttribute('datetime'));
    if (Number.isNaN(date.getTime())) continue;
    element.textContent = slackDate(date, element.dataset.format || '{date_short_pretty} {time}');
  }
}

function messageTime(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

// --- drawing -----------------------------------------------------------------------------------------------------

function messageElement(message, inThread) {
  const row = document.createElement('div');
  row.className = 'message';
  row.id = `msg-${message.channel}-${message.ts}`;
  row.dataset.message = '';
  row.dataset.channel = message.channel;
  row.dataset.ts = message.ts;
  const avatar = document.createElement('div');
  avatar.className = message.isBot ? 'avatar' : 'avatar user';
  avatar.textContent = message.isBot ? 'ic' : message.author.slice(0, 2);
  const main = document.createElement('div');
  main.className = 'message-main';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const author = document.createElement('span');
  author.className = 'author';
  author.textContent = message.author;
  meta.append(author);
  if (message.isBot) {
    const app = document.createElement('span');
    app.className = 'app';
    app.textContent = 'APP';
    meta.append(app);
  }
  meta.append(document.createTextNode(`${messageTime(message.ts)}${message.edited ? ' (edited)' : ''}`));
  main.append(meta);
  if (message.command) {
    const command = document.createElement('div');
    command.className = 'command-line';
    command.textContent = `answered ${message.command}`;
    main.append(command);
  }
  const body = document.createElement('div');
  body.className = 'blocks';
  body.innerHTML = message.html;
  main.append(body);
  if (!inThread && message.replyCount > 0) {
    const replies = document.createElement('button');
    replies.type = 'button';
    replies.className = 'replies';
    replies.textContent = `${message.replyCount} ${message.replyCount === 1 ? 'reply' : 'replies'}`;
    replies.addEventListener('click', () => openThread(message.ts));
    main.append(replies);
  }
  row.append(avatar, main);
  return row;
}

function ephemeralElement(ephemeral) {
  const row = document.createElement('div');
  row.className = 'message ephemeral';
  row.dataset.ephemeral = ephemeral.id;
  const avatar = document.createElement('div');
  avatar.className = 'avatar';
  avatar.textContent = 'ic';
  const main = document.createElement('div');
  main.className = 'message-main';
  const note = document.createElement('div');
  note.className = 'ephemeral-note';
  note.textContent = `Only visible to you · ${messageTime(ephemeral.ts)} · `;
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.textContent = 'Dismiss';
  dismiss.addEventListener('click', () => post('/sandbox/dismiss', { id: ephemeral.id }));
  note.append(dismiss);
  const body = document.createElement('div');
  body.className = 'blocks';
  body.innerHTML = ephemeral.html;
  main.append(note, body);
  row.append(avatar, main);
  return row;
}

function drawList(container, items, emptyText) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const previous = container.scrollTop;
  container.replaceChildren(...items);
  if (items.length === 0) {
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = emptyText;
    container.append(empty);
  }
  formatDates(container);
  container.scrollTop = atBottom ? container.scrollHeight : previous;
}

function byTs(a, b) {
  return Number(a.ts) - Number(b.ts);
}

function drawHome() {
  const home = $('home');
  const showing = pane === 'home';
  home.hidden = !showing;
  $('messages').hidden = showing;
  $('composer').hidden = showing || state.mode === 'socket-mode';
  $('home-button').className = showing ? 'active' : '';
  if (!showing) return;
  $('channel-title').textContent = 'iam-changes · Home';
  if (state.home) {
    home.innerHTML = state.home.html;
    formatDates(home);
  } else {
    home.replaceChildren();
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = 'Opening the Home tab…';
    home.append(empty);
  }
}

function drawChannel() {
  if (pane === 'home') return;
  const top = state.messages.filter((m) => m.channel === channel && m.threadTs === undefined);
  const ephemerals = state.ephemerals.filter((e) => e.channel === channel && e.threadTs === undefined);
  const items = [...top.map((m) => ({ ts: m.ts, element: messageElement(m, false) }))];
  for (const e of ephemerals) items.push({ ts: e.ts, element: ephemeralElement(e) });
  items.sort(byTs);
  drawList(
    $('messages'),
    items.map((item) => item.element),
    'No messages yet. Run a demo scenario on the left, or type /iam-changes help below.',
  );
  const info = state.channels.find((c) => c.id === channel);
  $('channel-title').textContent = info?.dm
    ? `@ ${state.bot.name} (direct message)`
    : `# ${info ? info.name : channel}`;
}

function drawThread() {
  const pane = $('thread-pane');
  if (threadTs === undefined) {
    pane.hidden = true;
    return;
  }
  const parent = state.messages.find((m) => m.channel === channel && m.ts === threadTs);
  if (!parent) {
    threadTs = undefined;
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const replies = state.messages.filter((m) => m.channel === channel && m.threadTs === threadTs);
  const ephemerals = state.ephemerals.filter((e) => e.channel === channel && e.threadTs === threadTs);
  const items = [
    ...replies.map((m) => ({ ts: m.ts, element: messageElement(m, true) })),
    ...ephemerals.map((e) => ({ ts: e.ts, element: ephemeralElement(e) })),
  ].sort(byTs);
  drawList($('thread-messages'), [messageElement(parent, true), ...items.map((item) => item.element)], '');
}

function openThread(ts) {
  threadTs = ts;
  drawThread();
}

function drawSidebar() {
  $('team-name').textContent = state.team.name;
  const select = $('user-select');
  select.replaceChildren(
    ...state.users.map((user) => {
      const option = document.createElement('option');
      option.value = user.id;
      option.textContent = `${user.name} (${user.id}${user.responder ? ', responder' : ', not a responder'})`;
      option.selected = user.id === state.me.id;
      return option;
    }),
  );
  const conversation = (c) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = c.dm ? `@ ${state.bot.name}` : `# ${c.name}`;
    button.className = pane === 'channel' && c.id === channel ? 'active' : '';
    button.addEventListener('click', () => {
      pane = 'channel';
      channel = c.id;
      threadTs = undefined;
      draw();
    });
    item.append(button);
    return item;
  };
  $('channel-list').replaceChildren(...state.channels.filter((c) => !c.dm).map(conversation));
  $('dm-list').replaceChildren(...state.channels.filter((c) => c.dm).map(conversation));
  const note = $('scenario-note');
  note.hidden = !state.scenarioNote;
  note.textContent = state.scenarioNote ?? '';
  $('scenario-list').replaceChildren(
    ...state.scenarios.map((scenario) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'scenario';
      button.dataset.scenario = scenario.name;
      const title = document.createElement('b');
      title.textContent = scenario.title;
      const description = document.createElement('span');
      description.textContent = scenario.description;
      button.append(title, description);
      button.addEventListener('click', async () => {
        button.disabled = true;
        const answer = await post('/sandbox/scenario', { name: scenario.name });
        button.disabled = false;
        if (!answer.ok) toast(answer.message ?? 'The scenario could not start.');
        else toast(`Scenario "${scenario.title}" started`);
      });
      return button;
    }),
  );
  $('status-list').replaceChildren(
    ...state.status.flatMap((line) => {
      const term = document.createElement('dt');
      term.textContent = line.label;
      const value = document.createElement('dd');
      value.textContent = line.value;
      if (line.level === 'warn') value.className = 'warn';
      return [term, value];
    }),
  );
  $('activity').replaceChildren(
    ...[...state.notices].reverse().map((notice) => {
      const item = document.createElement('li');
      item.className = notice.level;
      item.textContent = `${new Date(notice.at).toLocaleTimeString()} ${notice.text}`;
      return item;
    }),
  );
}

/** Values typed into the modal, keyed as Slack keys view state: block id, then action id. */
function modalValues() {
  const values = {};
  for (const element of $('modal-form').querySelectorAll('[data-input-type]')) {
    const blockId = element.dataset.blockId;
    const actionId = element.dataset.actionId;
    let value;
    if (element.dataset.inputType === 'radio_buttons') {
      value = element.querySelector('input:checked')?.value ?? null;
    } else if (element.dataset.inputType === 'checkboxes') {
      value = [...element.querySelectorAll('input:checked')].map((input) => input.value);
    } else {
      value = element.value === '' ? null : element.value;
    }
    values[blockId] ??= {};
    values[blockId][actionId] = value;
  }
  return values;
}

function restoreValues(values) {
  for (const element of $('modal-form').querySelectorAll('[data-input-type]')) {
    const value = values[element.dataset.blockId]?.[element.dataset.actionId];
    if (value === undefined || value === null) continue;
    if (element.dataset.inputType === 'radio_buttons' || element.dataset.inputType === 'checkboxes') {
      const chosen = Array.isArray(value) ? value : [value];
      for (const input of element.querySelectorAll('input')) input.checked = chosen.includes(input.value);
    } else {
      element.value = value;
    }
  }
}

let drawnView;

function drawModal() {
  const view = state.view;
  const backdrop = $('modal-backdrop');
  if (!view) {
    backdrop.hidden = true;
    drawnView = undefined;
    return;
  }
  const key = `${view.id}\n${view.title}\n${view.body}\n${view.submit ?? ''}`;
  if (drawnView === key && !backdrop.hidden) return;
  // Slack keeps what was typed into an input across views.update when its block and action ids stay the same.
  const typed = drawnView?.startsWith(`${view.id}\n`) ? modalValues() : {};
  drawnView = key;
  $('modal-title').innerHTML = view.title;
  const form = $('modal-form');
  form.dataset.viewId = view.id;
  form.innerHTML = view.body;
  restoreValues(typed);
  formatDates(form);
  $('modal-close').innerHTML = view.close;
  const submit = $('modal-submit');
  submit.hidden = view.submit === undefined;
  submit.disabled = false;
  if (view.submit !== undefined) submit.innerHTML = view.submit;
  $('modal-error').hidden = true;
  const wasHidden = backdrop.hidden;
  backdrop.hidden = false;
  if (wasHidden) form.querySelector('input, textarea, select')?.focus();
}

function draw() {
  if (!state) return;
  channel ??= state.defaultChannel;
  document.body.classList.toggle('socket-mode', state.mode === 'socket-mode');
  $('socket-note').hidden = state.mode !== 'socket-mode';
  $('composer').hidden = state.mode === 'socket-mode';
  drawSidebar();
  drawHome();
  drawChannel();
  drawThread();
  drawModal();
}

async function reload() {
  if (loading) {
    reloadAgain = true;
    return;
  }
  loading = true;
  try {
    const response = await fetch('/sandbox/state', { cache: 'no-store' });
    state = await response.json();
    draw();
  } finally {
    loading = false;
    if (reloadAgain) {
      reloadAgain = false;
      reload();
    }
  }
}

// --- interactions ------------------------------------------------------------------------------------------------

const confirmDialog = (spec) =>
  new Promise((resolve) => {
    $('confirm-title').innerHTML = spec.title;
    $('confirm-text').innerHTML = spec.html;
    const ok = $('confirm-ok');
    ok.innerHTML = spec.confirm;
    ok.className = `bk-button ${spec.style === 'danger' ? 'bk-danger' : 'bk-primary'}`;
    $('confirm-deny').innerHTML = spec.deny;
    const backdrop = $('confirm-backdrop');
    backdrop.hidden = false;
    ok.focus();
    const finish = (answer) => {
      backdrop.hidden = true;
      ok.onclick = null;
      $('confirm-deny').onclick = null;
      resolve(answer);
    };
    ok.onclick = () => finish(true);
    $('confirm-deny').onclick = () => finish(false);
  });

async function act(element, value) {
  const confirm = element.dataset.confirm;
  if (confirm && !(await confirmDialog(JSON.parse(confirm)))) return;
  const body = { blockId: element.dataset.blockId, actionId: element.dataset.actionId };
  if (value !== undefined) body.value = value;
  const form = element.closest('#modal-form');
  const message = element.closest('[data-message]');
  const ephemeral = element.closest('[data-ephemeral]');
  const home = element.closest('[data-home]');
  if (form) {
    body.viewId = form.dataset.viewId;
    body.values = modalValues();
  } else if (ephemeral) {
    body.ephemeralId = ephemeral.dataset.ephemeral;
  } else if (message) {
    body.channel = message.dataset.channel;
    body.ts = message.dataset.ts;
  } else if (home) {
    body.home = true;
  } else {
    return;
  }
  if (element.dataset.url) window.open(element.dataset.url, '_blank', 'noopener');
  element.disabled = true;
  try {
    const answer = await post('/sandbox/action', body);
    if (!answer.ok && answer.message) toast(answer.message);
  } finally {
    element.disabled = false;
  }
}

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const local = target.closest('a[data-local-link]');
  if (local) {
    event.preventDefault();
    const id = local.getAttribute('href').slice(1);
    const row = document.getElementById(id);
    const found = state.messages.find((m) => `msg-${m.channel}-${m.ts}` === id);
    if (found?.threadTs) openThread(found.threadTs);
    const element = document.getElementById(id) ?? row;
    element?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    element?.classList.add('highlight');
    setTimeout(() => element?.classList.remove('highlight'), 1600);
    return;
  }
  const button = target.closest('button[data-kind="button"]');
  if (button) {
    act(button);
    return;
  }
  const option = target.closest('button[data-kind="overflow-option"]');
  if (option) {
    option.closest('details')?.removeAttribute('open');
    act(option, option.dataset.value);
  }
});

document.addEventListener('change', (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.kind === 'select') act(target, target.value);
});

$('user-select').addEventListener('change', (event) => {
  post('/sandbox/user', { id: event.target.value });
});

$('home-button').addEventListener('click', async () => {
  pane = 'home';
  threadTs = undefined;
  draw();
  // Like Slack: opening the tab sends app_home_opened, and the bot publishes the view the page then draws.
  const answer = await post('/sandbox/home', {});
  if (!answer.ok && answer.message) toast(answer.message);
});

$('thread-close').addEventListener('click', () => {
  threadTs = undefined;
  drawThread();
});

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('composer-input');
  const text = input.value.trim();
  if (text === '') return;
  const error = $('composer-error');
  error.hidden = true;
  const answer = await post('/sandbox/command', { text, channel });
  if (answer.ok) input.value = '';
  else {
    error.textContent = answer.message ?? 'The command failed.';
    error.hidden = false;
  }
});

async function closeModal() {
  const viewId = $('modal-form').dataset.viewId;
  if (viewId) await post('/sandbox/close', { viewId });
}

$('modal-close').addEventListener('click', closeModal);
$('modal-x').addEventListener('click', closeModal);

$('modal-submit').addEventListener('click', async () => {
  const form = $('modal-form');
  const submit = $('modal-submit');
  submit.disabled = true;
  for (const old of form.querySelectorAll('.bk-error.local')) old.remove();
  try {
    const answer = await post('/sandbox/submit', { viewId: form.dataset.viewId, values: modalValues() });
    if (answer.errors) {
      for (const [blockId, text] of Object.entries(answer.errors)) {
        const input = form.querySelector(`[data-block-id="${CSS.escape(blockId)}"]`);
        const block = input?.closest('.bk-input-block');
        if (!block || block.querySelector('.bk-error')) continue;
        const line = document.createElement('div');
        line.className = 'bk-error local';
        line.textContent = text;
        block.append(line);
      }
    } else if (!answer.ok && answer.message) {
      const error = $('modal-error');
      error.textContent = answer.message;
      error.hidden = false;
    }
  } finally {
    submit.disabled = false;
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('modal-backdrop').hidden && $('confirm-backdrop').hidden) closeModal();
});

function listen() {
  const source = new EventSource('/sandbox/events');
  const connection = $('connection');
  source.onopen = () => {
    connection.textContent = '● live';
    connection.className = 'connection live';
  };
  source.onmessage = (event) => {
    const { version } = JSON.parse(event.data);
    if (!state || version !== state.version) reload();
  };
  source.onerror = () => {
    connection.textContent = 'reconnecting…';
    connection.className = 'connection';
  };
}

reload();
listen();
