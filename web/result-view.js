// Shows recognition results: the word (Korean, English gloss beside it) and its score, the top 3, the
// three latencies and the server's stage timings, a table of the last results and a chart of their
// latencies (inline SVG, log scale: the total spans the whole sequence, the server part tens of ms).
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const SERIES = [
  { key: 'totalMs', label: 'chart.total', color: '#2563eb' },
  { key: 'transferMs', label: 'chart.transfer', color: '#f59e0b' },
  { key: 'serverMs', label: 'chart.server', color: '#15803d' },
];

export function fmt(value, digits = 1) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

export function pct(score) {
  return typeof score === 'number' && Number.isFinite(score) ? `${(score * 100).toFixed(1)} %` : '—';
}

// The user-facing text for a result without a word: the reason code of docs/protocol.md §4 in Korean
// and English; an unknown code as the server sent it, after "not recognised".
const REASONS = ['no_person', 'no_sign', 'unknown_sign', 'low_confidence', 'no_model'];
export function reasonText(reason) {
  if (REASONS.includes(reason)) return t(`reason.${reason}`);
  return `${t('reason.other')}: ${reason ?? '—'}`;
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function clockTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const pad = (v) => String(v).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export class ResultView {
  // ui: {word, gloss, score, reason, top, latency, stages, history, chart} elements.
  constructor(ui) {
    this.ui = ui;
  }

  show(entry, history) {
    this.showWord(entry);
    this.showLatency(entry);
    this.showHistory(history);
    this.showChart(history);
  }

  showWord(entry) {
    const { word, gloss, score, reason, top } = this.ui;
    const recognised = typeof entry.word === 'string';
    word.textContent = recognised ? entry.word : '—';
    // A new word may equal the last one: a short fade-in tells the user it is a new result.
    if (typeof word.animate === 'function') word.animate([{ opacity: 0.2 }, { opacity: 1 }], { duration: 350 });
    word.dataset.seq = String(entry.seq);
    gloss.textContent = recognised ? (entry.gloss || '') : '';
    score.textContent = recognised ? pct(entry.score) : '';
    reason.hidden = recognised;
    reason.textContent = recognised ? '' : reasonText(entry.reason);
    if (!recognised && entry.guess && entry.reason === 'low_confidence') {
      reason.textContent += ` — ${t('result.guess')}: ${entry.guess.word} ${entry.guess.gloss || ''}?`;
    }
    // Several signs in the window: all of them, in order.
    const words = Array.isArray(entry.words) ? entry.words : [];
    this.ui.words.hidden = words.length < 2;
    this.ui.words.textContent = words.length < 2 ? '' : `${t('result.words')}: ${words.map((w) => w.word).join(' · ')}`;
    top.replaceChildren();
    for (const item of recognised && Array.isArray(entry.top) ? entry.top : []) {
      const li = el('li');
      li.append(el('span', { class: 'top-word' }, item.word), el('span', { class: 'top-gloss' }, item.gloss || ''));
      const bar = el('span', { class: 'top-bar' });
      const fill = el('span');
      fill.style.width = `${Math.max(0, Math.min(1, item.score || 0)) * 100}%`;
      bar.append(fill);
      li.append(bar, el('span', { class: 'top-score' }, pct(item.score)));
      top.append(li);
    }
  }

  showLatency(entry) {
    const { latency, stages } = this.ui;
    latency.replaceChildren();
    const rows = [
      ['result.total', entry.totalMs, 'T_end − T_start'],
      ['result.transfer', entry.transferMs, 'T_receive − offset − T_start'],
      ['result.server', entry.serverMs, 'T_inference − T_receive'],
    ];
    for (const [key, value, formula] of rows) latency.append(row(key, `${fmt(value)} ms`, formula));
    stages.replaceChildren();
    const s = entry.stages_ms || {};
    const pair = (v) => (v && typeof v === 'object' ? `${fmt(v.median)} / ${fmt(v.p90)}` : fmt(v));
    stages.append(
      row('label.stage_decode', pair(s.decode)),
      row('label.stage_landmarks', pair(s.landmarks)),
      row('label.stage_queue', pair(s.queue_wait)),
      row('label.stage_classifier', fmt(s.classifier)),
      row('label.stage_after_last', fmt(s.after_last_frame)),
      row('label.frames_used', `${entry.frames?.used ?? '—'} / ${entry.frames?.dropped ?? '—'}`),
      row('label.frames_pose_hands', `${entry.frames?.with_pose ?? '—'} / ${entry.frames?.with_hands ?? '—'}`),
    );
  }

  showHistory(history) {
    const body = this.ui.history;
    body.replaceChildren();
    for (const entry of history.slice().reverse()) {
      const tr = el('tr', { 'data-seq': String(entry.seq) });
      const word = typeof entry.word === 'string' ? `${entry.word} ${entry.gloss || ''}`.trim() : reasonText(entry.reason);
      const cells = [
        clockTime(entry.tEnd), word, typeof entry.word === 'string' ? pct(entry.score) : '—',
        `${fmt(entry.totalMs, 0)} / ${fmt(entry.transferMs, 0)} / ${fmt(entry.serverMs, 0)}`,
        `${entry.frames?.used ?? '—'} / ${entry.frames?.dropped ?? '—'}`,
      ];
      for (const c of cells) tr.append(el('td', {}, c));
      body.append(tr);
    }
  }

  // Latency over the history, one polyline per latency, log-scale y with a line at each decade.
  showChart(history) {
    const svg = this.ui.chart;
    svg.replaceChildren();
    const W = 480;
    const H = 150;
    const pad = { left: 44, right: 8, top: 8, bottom: 22 };
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const values = history.flatMap((e) => SERIES.map((s) => e[s.key])).filter((v) => Number.isFinite(v) && v > 0);
    if (values.length === 0) return;
    const lo = Math.floor(Math.log10(Math.min(...values)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
    const x = (i) => pad.left + (history.length === 1 ? 0.5 : i / (history.length - 1)) * (W - pad.left - pad.right);
    const y = (v) => pad.top + (1 - (Math.log10(v) - lo) / (hi - lo)) * (H - pad.top - pad.bottom);
    const svgEl = (tag, attrs) => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      return e;
    };
    for (let d = lo; d <= hi; d++) {
      const v = 10 ** d;
      svg.append(svgEl('line', { x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v), class: 'grid' }));
      const label = svgEl('text', { x: pad.left - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'axis' });
      label.textContent = v >= 1000 ? `${v / 1000} s` : `${v} ms`;
      svg.append(label);
    }
    SERIES.forEach((s, si) => {
      const points = history.map((e, i) => [i, e[s.key]]).filter(([, v]) => Number.isFinite(v) && v > 0);
      if (points.length > 1) {
        svg.append(svgEl('polyline', {
          points: points.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
          fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'data-series': s.key,
        }));
      }
      for (const [i, v] of points) svg.append(svgEl('circle', { cx: x(i), cy: y(v), r: 2.2, fill: s.color, 'data-series': s.key }));
      const legend = svgEl('text', { x: pad.left + si * 110, y: H - 5, fill: s.color, class: 'legend' });
      legend.textContent = t(s.label);
      svg.append(legend);
    });
  }
}

function row(key, value, note) {
  const tr = el('tr');
  const th = el('th', {}, t(key));
  if (note) th.append(el('small', { class: 'formula' }, note));
  tr.append(th, el('td', { 'data-key': key }, value));
  return tr;
}
