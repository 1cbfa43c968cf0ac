// The running caption of live mode: the latest word large, the line of words signed so far beside it
// (each with its latency from the sign's end to the word on screen), and what the server sees right
// now ("signing…" or "watching").
import { t } from './i18n.js';
import { fmt } from './result-view.js';

export const CAPTION_WORDS = 30;

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export class CaptionView {
  // ui: {box, word, gloss, state, line, latency}
  constructor(ui) {
    this.ui = ui;
    this.entries = [];
  }

  show(on) {
    this.ui.box.hidden = !on;
  }

  clear() {
    this.entries = [];
    this.ui.word.textContent = '—';
    this.ui.gloss.textContent = '';
    this.ui.latency.textContent = '';
    this.ui.line.replaceChildren();
    this.state('idle');
  }

  // 'idle' (not streaming), 'watching' (streaming, no sign now) or 'signing'.
  state(name) {
    this.ui.state.dataset.state = name;
    this.ui.state.textContent = t(`live.${name}`);
  }

  // One `word` message with the page's latency (ms from the sign's end to the word on screen).
  add(entry) {
    this.entries.push(entry);
    if (this.entries.length > CAPTION_WORDS) this.entries.shift();
    const named = typeof entry.word === 'string';
    const { word, gloss, latency, line } = this.ui;
    word.textContent = named ? entry.word : '?';
    word.dataset.named = String(named);
    gloss.textContent = named ? (entry.gloss || '') : t(`reason.${entry.reason}`);
    latency.textContent = `${t('live.latency')} ${fmt(entry.latencyMs / 1000, 2)} s`;
    if (typeof word.animate === 'function') word.animate([{ opacity: 0.2 }, { opacity: 1 }], { duration: 300 });
    line.replaceChildren();
    for (const e of this.entries) {
      const ok = typeof e.word === 'string';
      const li = el('li', { class: ok ? 'named' : 'unnamed', title: ok ? `${e.gloss || ''} ${Math.round(e.score * 100)} %` : t(`reason.${e.reason}`) });
      li.append(el('span', { class: 'w' }, ok ? e.word : '?'), el('small', {}, `${fmt(e.latencyMs / 1000, 2)} s`));
      line.append(li);
    }
    line.scrollLeft = line.scrollWidth;
  }
}
