// File upload, the plan's other method: a recorded video (the iPad's camera app or its library) is
// posted to /api/recognize as a form's `video` field, and the signs found in it are listed with their
// times (docs/protocol.md §7).
import { t } from './i18n.js';
import { reasonText, pct } from './result-view.js';

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Posts `file`; resolves with the server's JSON (also on an error answer, which carries `error`).
export async function uploadVideo(file) {
  const form = new FormData();
  form.append('video', file, file.name || 'video.mov');
  const response = await fetch('/api/recognize', { method: 'POST', body: form });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { error: { code: 'bad_response', message: `HTTP ${response.status}` } };
  }
  return { status: response.status, body };
}

// ui: {input (type=file), state, words}
export function setupUpload(ui) {
  ui.input.addEventListener('change', async () => {
    const file = ui.input.files && ui.input.files[0];
    if (!file) return;
    ui.words.replaceChildren();
    ui.state.dataset.state = 'busy';
    ui.state.textContent = `${t('upload.sending')} ${file.name} (${(file.size / 1e6).toFixed(1)} MB)`;
    const started = performance.now();
    try {
      const { body } = await uploadVideo(file);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (body.error) {
        ui.state.dataset.state = 'failed';
        ui.state.textContent = `${t('upload.failed')}: ${body.error.message || body.error.code}`;
        return;
      }
      ui.state.dataset.state = 'done';
      const words = Array.isArray(body.words) ? body.words : [];
      ui.state.textContent = `${t('upload.done')} (${seconds} s)` + (words.length ? '' : ` — ${reasonText(body.reason || 'no_sign')}`);
      for (const w of body.signs || words) {
        const named = typeof w.word === 'string';
        const li = el('li', { class: named ? 'named' : 'unnamed' });
        li.append(el('span', { class: 'time' }, `${w.start_s.toFixed(1)}–${w.end_s.toFixed(1)} s`),
          el('strong', {}, named ? w.word : '?'),
          el('span', {}, named ? `${w.gloss || ''} ${pct(w.score)}` : reasonText(w.reason)));
        ui.words.append(li);
      }
    } catch (error) {
      ui.state.dataset.state = 'failed';
      ui.state.textContent = `${t('upload.failed')}: ${error.message}`;
    } finally {
      ui.input.value = '';
    }
  });
}
