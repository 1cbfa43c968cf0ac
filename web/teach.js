// 가르치기 · Teach: type a word, record 3–5 examples with a countdown (each example is the sign the
// server finds in the take, replayed so a bad one can be redone), save; list, rename and delete taught
// words. Without the teach token the view is read-only. It drives the page through window.sueo (the
// same camera and session as recognition) and the teach API (teach-api.js).
//
// window.sueo.teach, for tests: {open(), close(), unlock(token), takes, addTake(take), record(), save(),
// words()}. addTake lets a test carry a take recorded in another browser (each fake camera plays one
// signer's clip) into the page that saves the word.
import { TeachApi } from './teach-api.js';
import { Replay } from './teach-replay.js';
import { tt, ko } from './teach-text.js';

const TAKE_SECONDS = 4;   // one example: the sign with a little rest around it
const COUNTDOWN = 3;
const MIN_TAKES = 3;
const MAX_TAKES = 5;

const api = new TeachApi();
const state = { open: false, takes: [], words: [], available: true, busy: false, replays: [] };
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
let ui = null;

function build(panel) {
  ui = {
    tokenRow: el('div', { className: 'teach-token' }),
    tokenInput: el('input', { type: 'text', id: 'teach-token', autocomplete: 'off', spellcheck: false }),
    unlock: el('button', { type: 'button', id: 'teach-unlock', textContent: tt('teach.unlock') }),
    lock: el('button', { type: 'button', id: 'teach-lock', className: 'secondary', textContent: tt('teach.lock') }),
    access: el('p', { id: 'teach-access', className: 'teach-access' }),
    word: el('input', { type: 'text', id: 'teach-word', lang: 'ko', autocomplete: 'off' }),
    gloss: el('input', { type: 'text', id: 'teach-gloss', lang: 'en', autocomplete: 'off' }),
    record: el('button', { type: 'button', id: 'teach-record', textContent: tt('teach.record') }),
    count: el('span', { id: 'teach-count', className: 'teach-count' }),
    takes: el('ol', { id: 'teach-takes', className: 'teach-takes' }),
    save: el('button', { type: 'button', id: 'teach-save', textContent: tt('teach.save') }),
    status: el('p', { id: 'teach-status', className: 'teach-status', role: 'status' }),
    list: el('table', { id: 'teach-list', className: 'teach-list' }),
  };
  const label = (text, input) => el('label', { className: 'teach-field' }, el('span', { textContent: text }), input);
  ui.tokenRow.append(label(tt('teach.token'), ui.tokenInput), ui.unlock, ui.lock);
  panel.append(
    el('h2', { textContent: tt('teach.title') }),
    el('p', { className: 'teach-intro', textContent: tt('teach.intro') }),
    ui.access, ui.tokenRow,
    label(tt('teach.word'), ui.word), label(tt('teach.gloss'), ui.gloss),
    el('div', { className: 'teach-actions' }, ui.record, ui.count),
    ui.takes,
    el('div', { className: 'teach-actions' }, ui.save),
    ui.status,
    el('h2', { textContent: tt('teach.list') }), ui.list,
  );
  ui.unlock.addEventListener('click', () => unlock(ui.tokenInput.value.trim()));
  ui.lock.addEventListener('click', () => { api.lock(); render(); });
  ui.record.addEventListener('click', () => record().catch(() => {}));
  ui.save.addEventListener('click', () => save().catch(() => {}));
  ui.word.addEventListener('input', render);
}

function say(text, bad = false) {
  ui.status.textContent = text;
  ui.status.classList.toggle('bad', bad);
}

function render() {
  const unlocked = !!api.token;
  ui.access.textContent = !state.available ? tt('teach.unavailable') : unlocked ? tt('teach.unlocked') : tt('teach.readonly');
  ui.access.classList.toggle('bad', !state.available);
  ui.tokenInput.hidden = ui.unlock.hidden = unlocked;
  ui.tokenRow.querySelector('label').hidden = unlocked;
  ui.lock.hidden = !unlocked;
  const canTeach = unlocked && state.available && !state.busy;
  ui.word.disabled = ui.gloss.disabled = !unlocked || !state.available;
  ui.record.disabled = !canTeach || state.takes.length >= MAX_TAKES;
  ui.save.disabled = !canTeach || state.takes.length < MIN_TAKES || !ui.word.value.trim();
  ui.count.textContent = `${tt('teach.examples')}: ${state.takes.length} / ${MAX_TAKES} (${tt('teach.need')})`;
  renderList(unlocked && !state.busy);
}

function renderTakes() {
  for (const r of state.replays) r.stop();
  state.replays = [];
  ui.takes.replaceChildren();
  state.takes.forEach((take, i) => {
    const canvas = el('canvas', { width: 160, height: 160, className: 'teach-replay' });
    const replay = new Replay(canvas, take.frames, take.aspect);
    replay.start();
    state.replays.push(replay);
    const redo = el('button', { type: 'button', className: 'secondary teach-redo', textContent: tt('teach.redo') });
    redo.addEventListener('click', () => { state.takes.splice(i, 1); renderTakes(); render(); });
    const seen = take.word ? `${ko('teach.model_sees')}: ${take.word}` : '';
    ui.takes.append(el('li', {}, canvas,
      el('span', { className: 'teach-take-info', textContent: `${i + 1}. ${take.frames.length} ${ko('teach.frames')}${seen ? ' — ' + seen : ''}` }),
      redo));
  });
}

function renderList(editable) {
  ui.list.replaceChildren();
  if (!state.words.length) {
    ui.list.append(el('tr', {}, el('td', { textContent: tt('teach.none') })));
    return;
  }
  for (const w of state.words) {
    const rename = el('button', { type: 'button', className: 'secondary', textContent: ko('teach.rename'), disabled: !editable });
    const del = el('button', { type: 'button', className: 'danger', textContent: ko('teach.delete'), disabled: !editable });
    rename.addEventListener('click', () => startRename(w, row));
    del.addEventListener('click', () => {
      if (del.dataset.armed) { removeWord(w.word); return; }
      del.dataset.armed = '1';
      del.textContent = ko('teach.confirm_delete');
      setTimeout(() => { delete del.dataset.armed; del.textContent = ko('teach.delete'); }, 4000);
    });
    const when = new Date(w.taught_at_ms).toLocaleDateString('ko-KR');
    const row = el('tr', {},
      el('td', { className: 'teach-list-word', textContent: w.word }),
      el('td', { className: 'teach-list-gloss', textContent: w.gloss || '' }),
      el('td', { textContent: `${w.examples} ${ko('teach.examples')} · ${when}` }),
      el('td', { className: 'teach-list-buttons' }, rename, del));
    row.dataset.word = w.word;
    ui.list.append(row);
  }
}

function startRename(w, row) {
  const word = el('input', { type: 'text', value: w.word, lang: 'ko' });
  const gloss = el('input', { type: 'text', value: w.gloss || '', lang: 'en' });
  const ok = el('button', { type: 'button', textContent: ko('teach.ok') });
  const cancel = el('button', { type: 'button', className: 'secondary', textContent: ko('teach.cancel') });
  ok.addEventListener('click', async () => {
    const r = await api.rename(w.word, word.value.trim(), gloss.value.trim());
    if (!r.ok) say(`${tt('teach.error')}: ${r.body.message || r.status}`, true);
    await refresh();
  });
  cancel.addEventListener('click', () => render());
  row.replaceChildren(el('td', {}, word), el('td', {}, gloss), el('td', { colSpan: 2, className: 'teach-list-buttons' }, ok, cancel));
  word.focus();
}

async function removeWord(word) {
  const r = await api.remove(word);
  if (!r.ok) say(`${tt('teach.error')}: ${r.body.message || r.status}`, true);
  await refresh();
}

async function refresh() {
  const r = await api.list();
  if (r.ok) {
    state.words = r.body.words || [];
    state.available = r.body.teach_available !== false;
  }
  render();
  return state.words;
}

async function unlock(token) {
  if (!token) return;
  const r = await api.unlock(token);
  say(r.ok ? tt('teach.unlocked') : tt('teach.token_wrong'), !r.ok);
  render();
}

// 3, 2, 1 over the preview, then the take.
async function countdown() {
  const box = document.querySelector('.preview-box');
  const big = el('div', { className: 'teach-countdown', id: 'teach-countdown' });
  box.append(big);
  for (let n = COUNTDOWN; n > 0; n -= 1) {
    big.textContent = String(n);
    await new Promise((r) => setTimeout(r, 1000));
  }
  big.textContent = ko('teach.now');
  setTimeout(() => big.remove(), 700);
}

async function record() {
  if (state.busy) return null;
  state.busy = true;
  render();
  try {
    const conn = await window.sueo.connect();
    conn.send({ type: 'options', teach: true });
    await window.sueo.prepare();  // camera and channel before the countdown, so the take starts on "now"
    await countdown();
    say(tt('teach.recording'));
    const outcome = await window.sueo.start({ seconds: TAKE_SECONDS });
    const sign = outcome.result && outcome.result.sign;
    if (!sign || !Array.isArray(sign.frames) || sign.frames.length < 2) {
      // The take is the sign the server's spotter found in it: none when no hand moved like a sign.
      say(tt(outcome.result?.frames?.with_hands ? 'teach.no_sign' : 'teach.no_hands'), true);
      return null;
    }
    const take = { frames: sign.frames, of: sign.of, aspect: sign.aspect || 0, word: outcome.result.word || null };
    state.takes.push(take);
    say('');
    renderTakes();
    return take;
  } catch (error) {
    say(`${tt('teach.error')}: ${error.message}`, true);
    throw error;
  } finally {
    state.busy = false;
    render();
  }
}

async function save() {
  const word = ui.word.value.trim();
  if (!word || state.takes.length < MIN_TAKES) return null;
  state.busy = true;
  render();
  try {
    const session = window.sueo.connection?.welcome?.session || '';
    const r = await api.teach(word, ui.gloss.value.trim(), state.takes.map((t) => t.frames), session);
    if (!r.ok) {
      say(`${tt('teach.error')}: ${r.body.message || r.body.error || r.status}`, true);
      return r;
    }
    state.takes = [];
    ui.word.value = '';
    ui.gloss.value = '';
    renderTakes();
    await refresh();  // "saved" once the list shows the word
    say(`${tt('teach.saved')}: ${word} — ${ko('teach.usable')} ${(r.body.usable_ms / 1000).toFixed(2)} s`);
    return r;
  } finally {
    state.busy = false;
    render();
  }
}

function setOpen(open) {
  state.open = open;
  document.body.classList.toggle('teach-mode', open);
  document.getElementById('tab-teach').setAttribute('aria-selected', String(open));
  document.getElementById('tab-recognize').setAttribute('aria-selected', String(!open));
  document.getElementById('teach-panel').hidden = !open;
  // The server sends each take's landmarks only while this view is open.
  window.sueo?.connection?.send({ type: 'options', teach: open });
  if (open) refresh();
  else for (const r of state.replays) r.stop();
}

function init() {
  const panel = document.getElementById('teach-panel');
  if (!panel) return;
  build(panel);
  document.getElementById('tab-teach').textContent = tt('tab.teach');
  document.getElementById('tab-recognize').textContent = tt('tab.recognize');
  document.getElementById('tab-teach').addEventListener('click', () => setOpen(true));
  document.getElementById('tab-recognize').addEventListener('click', () => setOpen(false));
  const hook = {
    open: () => setOpen(true), close: () => setOpen(false), unlock, record, save,
    words: refresh, get takes() { return state.takes.slice(); },
    addTake: (take) => { state.takes.push(take); renderTakes(); render(); },
  };
  const attach = () => { if (window.sueo) window.sueo.teach = hook; else setTimeout(attach, 50); };
  attach();
  if (location.hash === '#teach') setOpen(true);
  else render();
}

init();
