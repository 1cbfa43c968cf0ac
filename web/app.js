// The page: connects to the server, opens the camera on Start, streams one sequence (or one after
// another in continuous mode), shows the server's receipt, the recognised word and the latencies, and
// optionally the server's landmarks over the preview. window.sueo is a small hook for tests and the
// bench; the page does the same without it:
//   sueo.start({seconds, fps, width, height, quality, detail})
//                      → Promise<{receipt, page, timings, result}>; `result` is the recognition entry
//                        (below), or null when the server has no model (welcome.model null or absent)
//   sueo.stop()        ends the running sequence early (sequence-end with the frames sent so far) and
//                      continuous mode
//   sueo.connect()     → Promise<Connection>: the WebSocket session (the page opens it on load)
//   sueo.prepare()     → camera, then the DataChannel (Start does this first)
//   sueo.state         'idle' | 'connecting' | 'ready' (WebSocket) | 'signaling' | 'open' (DataChannel)
//                      | 'closed' | 'failed' | 'unsupported'
//   sueo.lastReceipt, sueo.offset ({offset, delay, samples}), sueo.config (welcome config),
//   sueo.model (welcome.model), sueo.errors ([{code, message}]), sueo.connection (the Connection)
//   sueo.lastResult    the last recognition entry: the server's `result` message plus tStart, tEnd,
//                      offset (page side) and totalMs, transferMs, serverMs (docs/protocol.md §4)
//   sueo.results       the history shown in the table (oldest first, last 20)
//   sueo.setLandmarks(on), sueo.landmarks ({received, drawn, last}), sueo.overlayPoint(x, y) (where a
//                      normalised landmark of the unmirrored frame is drawn, CSS px of the preview box)
//   sueo.setContinuous(on), sueo.receive(msg) (hand the page a server message, as if from /ws)
//   sueo.setMode('live' | 'window') the mode Start uses (the page opens in live mode; ?mode=window)
//   sueo.startLive(overrides) → Promise<{summary, result, words}>: live mode until sueo.stop();
//                      `words` are the `word` messages with the page's latencyMs (sign end → shown)
//   sueo.words         the live words so far (this run)
//   sueo.closeCamera() camera off until the next start (a fake camera then replays its file from the top)
import { Connection, framesSupported } from './connection.js';
import { cameraSupported, openCamera, closeCamera } from './capture.js';
import { SequenceRun } from './sequence.js';
import { t, translatePage } from './i18n.js';
import { pageNow } from './clock.js';
import { ResultHistory, makeEntry } from './results.js';
import { ResultView, fmt } from './result-view.js';
import { LandmarkOverlay } from './overlay.js';
import { LiveRun } from './live.js';
import { CaptionView } from './caption-view.js';
import { setupUpload } from './upload.js';

const DEFAULTS = { fps: 15, width: 640, height: 480, quality: 0.7, seconds: 10 };
// How long after the receipt the word may take: the server's queue may still hold frames of this
// and other sessions' sequences, and then runs the classifier.
const RESULT_TIMEOUT_MS = 20000;
// Sequences whose start time is kept for results that arrive late (after a stop, say).
const SEQUENCES_KEPT = 8;

const $ = (id) => document.getElementById(id);
const ui = {
  video: $('preview'), start: $('start'), stop: $('stop'), conn: $('conn-state'), cam: $('cam-state'),
  seq: $('seq-state'), error: $('error'), offset: $('offset'), rtt: $('rtt'), openMs: $('open-ms'),
  receipt: $('receipt'), timings: $('timings'), model: $('model'),
  continuous: $('continuous'), showLandmarks: $('show-landmarks'), overlay: $('overlay'),
  modeLive: $('mode-live'), modeWindow: $('mode-window'), modeHelp: $('mode-help'),
  continuousBox: $('continuous-box'), result: $('result'), words: $('words'),
  windowProgress: $('window-progress'), windowBar: $('window-bar'), windowLeft: $('window-left'),
};
const captionView = new CaptionView({
  box: $('caption'), word: $('live-word'), gloss: $('live-gloss'), state: $('live-state'),
  line: $('live-line'), latency: $('live-latency'),
});
const resultView = new ResultView({
  word: $('word'), gloss: $('gloss'), score: $('score'), reason: $('reason'), top: $('top'), words: $('words'),
  latency: $('latency'), stages: $('stages'), history: $('history'), chart: $('chart'),
});

const app = {
  conn: null,
  connecting: null,
  camera: null,
  run: null,
  receiptWaiters: new Map(),  // seq → {resolve, reject}
  resultWaiters: new Map(),   // seq → {resolve, reject}
  sequences: new Map(),       // seq → {tStart} of recent sequences (insertion order: oldest first)
  arrived: new Map(),         // seq → entry: results that came before anyone waited for them
  history: new ResultHistory(),
  lastReceipt: null,
  stopRequested: false,       // Stop pressed: no further sequence in continuous mode
  landmarks: { received: 0 },
  overlay: null,
  errors: [],
  mode: new URLSearchParams(location.search).get('mode') === 'window' ? 'window' : 'live',
  liveWords: [],              // this live run's words, with the page's latency
};

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

function errorText(error) {
  if (error.code === 'server_busy') return t('error.server_busy');
  if (error.code === 'server_draining') return t('error.server_draining');
  if (error.code === 'ws_closed') return t('error.ws_closed');
  if (error.code === 'peer_failed') return t('error.peer_failed');
  if (error.code) return `${t('error.server')}: ${error.code} — ${error.message}`;
  return `${t('error.server')}: ${error.message}`;
}

function setConnState(state) {
  if (state === 'failed' || state === 'closed') {
    // A receipt can no longer come over this connection: end the waits now, not at their timeout.
    const waiters = [...app.receiptWaiters.values(), ...app.resultWaiters.values()];
    app.receiptWaiters.clear();
    app.resultWaiters.clear();
    app.overlay?.clear();
    for (const w of waiters) w.reject(Object.assign(new Error(t('error.ws_closed')), { code: 'ws_closed' }));
    if (app.run && app.run.stop) app.run.stop();  // no use filming into a closed channel
  }
  ui.conn.textContent = t(`state.${state}`);
  ui.conn.dataset.state = state;
  updateButtons();
}

function updateButtons() {
  const unsupported = ui.conn.dataset.state === 'unsupported';
  ui.start.disabled = unsupported || !!app.run;
  ui.stop.disabled = !app.run;
}

// Effective sequence settings: the server's welcome config, then the page URL (?seconds=3), then
// the caller's overrides (the test hook).
function sequenceOptions(overrides = {}) {
  const config = app.conn?.welcome?.config || {};
  const query = new URLSearchParams(location.search);
  const pick = (key, configKey) => {
    if (overrides[key] !== undefined) return Number(overrides[key]);
    if (query.has(key)) return Number(query.get(key));
    if (typeof config[configKey] === 'number') return config[configKey];
    return DEFAULTS[key];
  };
  return {
    fps: pick('fps', 'fps'), width: pick('width', 'width'), height: pick('height', 'height'),
    quality: pick('quality', 'jpeg_quality'), seconds: pick('seconds', 'sequence_seconds'),
    detail: !!overrides.detail,
    maxFrames: typeof config.max_sequence_frames === 'number' ? config.max_sequence_frames : Infinity,
  };
}

// The WebSocket session: opened on load (connection state, clock offset, "server busy" before the
// user presses anything) and again after it was lost.
function connect() {
  const usable = app.conn && !['closed', 'failed'].includes(app.conn.state);
  if (usable && app.conn.welcome) return Promise.resolve(app.conn);
  if (app.connecting) return app.connecting;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const conn = new Connection(`${scheme}//${location.host}/ws`, {
    onState: setConnState,
    onMessage: onServerMessage,
    onError: (error) => {
      app.errors.push({ code: error.code || null, message: error.message });
      showError(errorText(error));
    },
    onClock: (best) => {
      ui.offset.textContent = `${fmt(best.offset, 2)} ms`;
      ui.rtt.textContent = `${fmt(best.delay, 2)} ms`;
    },
  });
  app.conn = conn;
  app.connecting = conn.connect().then((welcome) => {
    showError('');
    showModel(welcome.model);
    if (!app.run) setMode(app.mode);  // the window's length comes from the server
    if (ui.showLandmarks.checked && recognitionOffered()) conn.send({ type: 'options', landmarks: true });
    return conn;
  }).finally(() => { app.connecting = null; });
  return app.connecting;
}

// Camera first, then the peer connection (see Connection.connect): what Start does before streaming.
async function prepare(overrides) {
  const conn = await connect();
  const options = sequenceOptions(overrides);
  await ensureCamera(options);
  await conn.openChannel();
  ui.openMs.textContent = `${fmt(conn.timings.offerToOpenMs)} ms`;
  return { conn, options };
}

function onServerMessage(msg) {
  if (msg.type === 'receipt') {
    app.lastReceipt = msg;
    const waiter = app.receiptWaiters.get(msg.seq);
    if (waiter) {
      app.receiptWaiters.delete(msg.seq);
      waiter.resolve(msg);
    }
  } else if (msg.type === 'result') {
    onResult(msg);
  } else if (msg.type === 'word') {
    onWord(msg);
  } else if (msg.type === 'activity') {
    if (app.run instanceof LiveRun) captionView.state(msg.signing ? 'signing' : 'watching');
  } else if (msg.type === 'landmarks') {
    app.landmarks.received += 1;
    if (ui.showLandmarks.checked) app.overlay?.draw(msg);
  }
}

// A live sign: its latency runs from the sign's end (the capture time of its last moving frame, page
// clock) to now, when it is put on screen.
function onWord(msg) {
  const entry = { ...msg, latencyMs: pageNow() - msg.end_ms };
  app.liveWords.push(entry);
  if (app.liveWords.length > 500) app.liveWords.shift();
  captionView.add(entry);
}

// T_end is taken first thing: the total latency ends when the word reached the page.
function onResult(msg) {
  const tEnd = pageNow();
  const clock = app.conn?.clock.best();
  const entry = makeEntry(msg, {
    tStart: app.sequences.get(msg.seq)?.tStart ?? null, tEnd, offset: clock ? clock.offset : null,
  });
  if (msg.mode === 'live') {
    // A live run's final result: its signs are on the caption already.
    app.arrived.set(msg.seq, entry);
    const waiter = app.resultWaiters.get(msg.seq);
    if (waiter) {
      app.resultWaiters.delete(msg.seq);
      app.arrived.delete(msg.seq);
      waiter.resolve(entry);
    }
    return;
  }
  app.history.add(entry);
  ui.result.hidden = false;
  resultView.show(entry, app.history.entries);
  const waiter = app.resultWaiters.get(msg.seq);
  if (waiter) {
    app.resultWaiters.delete(msg.seq);
    waiter.resolve(entry);
  } else {
    app.arrived.set(msg.seq, entry);
    while (app.arrived.size > SEQUENCES_KEPT) app.arrived.delete(app.arrived.keys().next().value);
  }
}

function waitForReceipt(seq) {
  if (app.lastReceipt && app.lastReceipt.seq === seq) return Promise.resolve(app.lastReceipt);
  if (app.conn.state !== 'open') return Promise.reject(new Error(t('error.ws_closed')));
  return new Promise((resolve, reject) => app.receiptWaiters.set(seq, { resolve, reject }));
}

function waitForResult(seq) {
  const early = app.arrived.get(seq);
  if (early) {
    app.arrived.delete(seq);
    return Promise.resolve(early);
  }
  if (app.conn.state !== 'open') return Promise.reject(new Error(t('error.ws_closed')));
  let timer;
  return new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      app.resultWaiters.delete(seq);
      reject(new Error(`${t('error.no_result')} (${RESULT_TIMEOUT_MS / 1000} s)`));
    }, RESULT_TIMEOUT_MS);
    app.resultWaiters.set(seq, { resolve, reject });
  }).finally(() => clearTimeout(timer));
}

function rememberSequence(seq, tStart) {
  app.sequences.set(seq, { tStart });
  while (app.sequences.size > SEQUENCES_KEPT) app.sequences.delete(app.sequences.keys().next().value);
}

// The server speaks protocol §4 (options, landmarks, results) when its welcome has a `model` key.
function recognitionOffered() {
  const welcome = app.conn?.welcome;
  return !!welcome && Object.prototype.hasOwnProperty.call(welcome, 'model');
}

// Start waits for the word only when the server has a model; a server without one may still send
// a word-less result, which is shown when it comes.
function resultExpected() {
  const model = app.conn?.welcome?.model;
  return !!model && typeof model === 'object';
}

function showModel(model) {
  if (model === undefined) ui.model.textContent = '—';
  else if (!model) ui.model.textContent = t('model.none');
  else {
    const count = Array.isArray(model.labels) ? model.labels.length : model.labels;
    ui.model.textContent = `${model.name} (${count} ${t('model.labels')})`;
  }
}

async function ensureCamera(options) {
  if (app.camera) return;
  ui.cam.textContent = t('camera.starting');
  try {
    app.camera = await openCamera(ui.video, options.width, options.height);
    ui.cam.textContent = `${t('camera.on')} (${ui.video.videoWidth}×${ui.video.videoHeight})`;
  } catch (error) {
    ui.cam.textContent = error.name === 'NotAllowedError' ? t('camera.denied') : t('camera.off');
    const e = new Error(`${t('error.camera')}: ${error.name || ''} ${error.message}`);
    e.code = 'camera';
    throw e;
  }
}

async function start(overrides) {
  if (app.run) throw new Error('a sequence is already running');
  if (!framesSupported()) throw new Error(t('error.no_websocket'));
  if (!cameraSupported()) throw new Error(t('error.no_camera_api'));
  const marker = {};
  app.run = marker;  // claims the slot at once: a second click cannot start a second sequence
  updateButtons();
  try {
    const { conn, options } = await prepare(overrides);
    const run = new SequenceRun(conn, ui.video, options);
    app.run = run;
    ui.seq.textContent = t('seq.sending');
    const progress = showWindowProgress(run, options.fps);
    const outcome = await run.run((seq, tStart) => {
      rememberSequence(seq, tStart);
      ui.seq.textContent = t('seq.waiting');
      return waitForReceipt(seq);
    }).finally(progress);
    outcome.offerToOpenMs = conn.timings.offerToOpenMs;
    showReceipt(outcome);
    outcome.result = null;
    if (resultExpected()) {
      ui.seq.textContent = t('seq.waiting_result');
      outcome.result = await waitForResult(run.seq);
    }
    ui.seq.textContent = t('seq.done');
    return outcome;
  } catch (error) {
    ui.seq.textContent = '';
    showError(error.code ? errorText(error) : error.message);
    throw error;
  } finally {
    app.run = null;
    updateButtons();
  }
}

// The window's progress under the preview: a bar and the seconds left, while frames are taken.
// Returns the function that hides it.
function showWindowProgress(run, fps) {
  ui.windowProgress.hidden = false;
  const update = () => {
    ui.windowBar.value = run.planned ? run.ticks / run.planned : 0;
    const left = Math.max(0, Math.ceil((run.planned - run.ticks) / fps));
    ui.windowLeft.textContent = `${left} ${t('window.seconds_left')}`;
  };
  update();
  const timer = setInterval(update, 100);
  return () => {
    clearInterval(timer);
    ui.windowProgress.hidden = true;
  };
}

// Live mode: stream until Stop; words arrive as `word` messages while it runs. Resolves with the
// run's summary and the server's final result (its signs) once stopped.
async function startLive(overrides) {
  if (app.run) throw new Error('a sequence is already running');
  if (!framesSupported()) throw new Error(t('error.no_websocket'));
  if (!cameraSupported()) throw new Error(t('error.no_camera_api'));
  app.run = {};
  updateButtons();
  app.liveWords = [];
  captionView.clear();
  try {
    const { conn, options } = await prepare(overrides);
    const run = new LiveRun(conn, ui.video, options);
    app.run = run;
    captionView.state('watching');
    ui.seq.textContent = t('seq.live');
    const summary = await run.run();
    if (summary.tStart !== null) rememberSequence(summary.seq, summary.tStart);
    let result = null;
    if (resultExpected() && summary.tStart !== null) {
      ui.seq.textContent = t('seq.waiting_result');
      result = await waitForResult(summary.seq);
    }
    ui.seq.textContent = t('seq.stopped');
    return { summary, result, words: app.liveWords.slice() };
  } catch (error) {
    ui.seq.textContent = '';
    showError(error.code ? errorText(error) : error.message);
    throw error;
  } finally {
    captionView.state('idle');
    app.run = null;
    updateButtons();
  }
}

// Start: live mode streams until Stop; window mode takes one window, or in continuous mode the next
// as soon as the word of the last arrived, until Stop, an error, or the box is unticked.
async function startClicked() {
  app.stopRequested = false;
  if (app.mode === 'live') {
    await startLive();
    return;
  }
  do {
    await start();
  } while (ui.continuous.checked && !app.stopRequested && app.conn?.state === 'open');
}

function stop() {
  app.stopRequested = true;
  if (app.run && app.run.stop) app.run.stop();
}

function setMode(mode) {
  if (mode !== 'live' && mode !== 'window') throw new Error(`unknown mode ${mode}`);
  if (app.run) throw new Error('stop first');
  app.mode = mode;
  ui.modeLive.setAttribute('aria-pressed', String(mode === 'live'));
  ui.modeWindow.setAttribute('aria-pressed', String(mode === 'window'));
  ui.continuousBox.hidden = mode === 'live';
  captionView.show(mode === 'live');
  ui.result.hidden = mode === 'live' && app.history.entries.length === 0;
  const seconds = sequenceOptions().seconds;
  ui.modeHelp.textContent = mode === 'live' ? t('mode.live_help') : t('mode.window_help').replaceAll('{s}', String(seconds));
  ui.modeWindow.textContent = t('mode.window').replaceAll('{s}', String(seconds));
}

// Turns the camera off; the next Start opens it again. Chromium's fake camera then plays its file
// from the first frame, which lets tests and the bench start a sequence at the start of a clip.
function stopCamera() {
  if (app.run) throw new Error('a sequence is running');
  closeCamera(ui.video);
  app.camera = null;
  ui.cam.textContent = t('camera.off');
}

// A server without recognition (no `model` in welcome) would answer `options` with unknown_type.
function setLandmarks(on) {
  ui.showLandmarks.checked = !!on;
  if (recognitionOffered()) app.conn.send({ type: 'options', landmarks: !!on });
  if (!on) app.overlay?.clear();
}

// An epoch time as local time of day with milliseconds, and the raw number beside it.
function fmtTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const pad = (v, n = 2) => String(v).padStart(n, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    ` (${ms.toFixed(1)})`;
}

function row(table, key, value) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.textContent = t(key);
  const td = document.createElement('td');
  td.textContent = value;
  td.dataset.key = key;
  tr.append(th, td);
  table.append(tr);
}

function showReceipt({ receipt, page, timings }) {
  const frames = receipt.frames || {};
  const dropped = frames.dropped || {};
  const droppedTotal = Object.values(dropped).reduce((a, b) => a + b, 0);
  const droppedDetail = Object.entries(dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  ui.receipt.replaceChildren();
  row(ui.receipt, 'label.expected', String(frames.expected));
  row(ui.receipt, 'label.received', String(frames.received));
  row(ui.receipt, 'label.decoded', String(frames.decoded));
  row(ui.receipt, 'label.dropped', droppedDetail ? `${droppedTotal} (${droppedDetail})` : String(droppedTotal));
  row(ui.receipt, 'label.bytes', String(receipt.bytes));
  row(ui.receipt, 'label.decode_ms', `${fmt(receipt.decode_ms?.median, 2)} / ${fmt(receipt.decode_ms?.max, 2)}`);
  row(ui.receipt, 'label.assembly_ms', `${fmt(receipt.assembly_ms?.p50, 2)} / ${fmt(receipt.assembly_ms?.p95, 2)}`);
  row(ui.receipt, 'label.page_sent', `${page.sent} / ${page.encodeSkipped + page.sendSkipped}`);
  ui.timings.replaceChildren();
  row(ui.timings, 'label.t_start', fmtTime(timings.tStart));
  row(ui.timings, 'label.t_receive', fmtTime(timings.tReceive));
  row(ui.timings, 'label.offset', `${fmt(timings.offset, 2)} ms`);
  row(ui.timings, 'label.transfer', `${fmt(timings.transferMs)} ms`);
  row(ui.timings, 'label.last_frame', `${fmt(timings.lastFrameMs)} ms`);
}

function init() {
  translatePage(document);
  app.overlay = new LandmarkOverlay(ui.overlay, ui.video);
  ui.start.addEventListener('click', () => { startClicked().catch(() => {}); });
  ui.modeLive.addEventListener('click', () => { if (!app.run) setMode('live'); });
  ui.modeWindow.addEventListener('click', () => { if (!app.run) setMode('window'); });
  setMode(app.mode);
  setupUpload({ input: $('upload-file'), state: $('upload-state'), words: $('upload-words') });
  ui.stop.addEventListener('click', stop);
  ui.showLandmarks.addEventListener('change', () => setLandmarks(ui.showLandmarks.checked));
  // A hidden page (another app in front on the iPad) gets no camera frames: end the sequence.
  document.addEventListener('visibilitychange', () => { if (document.hidden) stop(); });
  window.sueo = {
    start, stop, connect, prepare, setLandmarks, closeCamera: stopCamera, startLive, setMode,
    get mode() { return app.mode; },
    get words() { return app.liveWords.slice(); },
    setContinuous: (on) => { ui.continuous.checked = !!on; },
    receive: (msg) => onServerMessage(msg),
    overlayPoint: (x, y) => app.overlay.pointAt(x, y),
    get state() { return app.conn ? app.conn.state : (framesSupported() ? 'idle' : 'unsupported'); },
    get lastReceipt() { return app.lastReceipt; },
    get lastResult() { return app.history.last; },
    get results() { return app.history.entries.slice(); },
    get landmarks() { return { received: app.landmarks.received, drawn: app.overlay.drawn, last: app.overlay.last }; },
    get model() { return app.conn?.welcome ? app.conn.welcome.model : undefined; },
    get offset() { return app.conn?.clock.best() || null; },
    get config() { return app.conn?.welcome?.config || null; },
    get errors() { return app.errors.slice(); },
    get connection() { return app.conn; },
  };
  if (!framesSupported()) {
    setConnState('unsupported');
    showError(t('error.no_websocket'));
    return;
  }
  if (!cameraSupported()) showError(t('error.no_camera_api'));
  setConnState('idle');
  connect().catch(() => {});
}

init();
