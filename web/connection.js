// One session with the server: the WebSocket /ws (signaling, clock pings, receipts, errors) and the
// RTCPeerConnection with its DataChannel `frames` (docs/protocol.md §1–2). Standard API only;
// /vendor/adapter.js (webrtc-adapter) smooths browser differences before this module runs.
//
// The WebSocket fallback (docs/protocol.md §2): when the browser has no RTCPeerConnection, or the
// DataChannel is not open `welcome.config.datachannel_timeout_ms` after the offer (UDP blocked, no
// TURN), or ICE fails before it opens, the same chunks and sequence messages go over /ws instead.
// `transport` then says 'websocket' and `dc` is a SocketFrames: the RTCDataChannel calls the sender
// uses, on the WebSocket. `?transport=websocket` (or `datachannel`: never fall back) forces one.
import { ClockOffset, pageNow, PINGS_ON_CONNECT, PING_INTERVAL_MS } from './clock.js';
import { MAX_MESSAGE_BYTES } from './protocol.js';

const WELCOME_TIMEOUT_MS = 10000;
const OPEN_TIMEOUT_MS = 20000;            // a forced DataChannel that does not open fails the session
const DATACHANNEL_TIMEOUT_MS = 5000;      // when the welcome does not say
const WATCH_BUFFER_MS = 10;               // how often SocketFrames looks at ws.bufferedAmount while high
// An instance that is draining (restarting) refuses a new session with `server_draining`; behind a
// balancer the next try lands on another instance once the balancer's health check has seen the
// drain (about a second): retry before the welcome, after these delays.
const DRAINING_RETRY_MS = [250, 500, 1000, 1000, 2000, 2000];

export function webrtcSupported() {
  return typeof window.RTCPeerConnection === 'function';
}

// Whether the page can send frames at all: over a DataChannel, or over the WebSocket.
export function framesSupported() {
  return webrtcSupported() || typeof window.WebSocket === 'function';
}

// 'websocket' or 'datachannel' when the page URL forces one (?transport=…), else null.
function forcedTransport() {
  const value = new URLSearchParams(globalThis.location?.search || '').get('transport');
  return value === 'websocket' || value === 'datachannel' ? value : null;
}

// ?ice=relay: ICE through the TURN servers of welcome.ice_servers only (tests and benches of the
// relay path; a network that blocks everything else behaves the same).
function iceTransportPolicy() {
  return new URLSearchParams(globalThis.location?.search || '').get('ice') === 'relay' ? 'relay' : 'all';
}

// The calls of RTCDataChannel that SequenceSender makes (send, bufferedAmount,
// bufferedAmountLowThreshold, readyState, the bufferedamountlow and close events), on /ws. A
// WebSocket has no bufferedamountlow event: while the buffer is above the threshold it is polled.
export class SocketFrames {
  constructor(ws) {
    this.ws = ws;
    this.label = 'frames';
    this.bufferedAmountLowThreshold = 0;
    this.listeners = { bufferedamountlow: new Set(), close: new Set() };
    this.watch = null;
    this.closed = false;
    ws.addEventListener('close', () => this.close());
  }

  get readyState() {
    if (this.closed) return 'closed';
    return this.ws.readyState === WebSocket.OPEN ? 'open' : this.ws.readyState === WebSocket.CONNECTING ? 'connecting' : 'closed';
  }

  get bufferedAmount() {
    const amount = this.ws.bufferedAmount;
    if (amount > this.bufferedAmountLowThreshold) this.watchBuffer();
    return amount;
  }

  send(data) {
    this.ws.send(data);
  }

  addEventListener(type, fn) { this.listeners[type]?.add(fn); }
  removeEventListener(type, fn) { this.listeners[type]?.delete(fn); }

  emit(type) {
    for (const fn of [...(this.listeners[type] || [])]) fn({ type });
  }

  watchBuffer() {
    if (this.watch !== null || this.closed) return;
    this.watch = setInterval(() => {
      if (this.closed || this.ws.bufferedAmount <= this.bufferedAmountLowThreshold) {
        clearInterval(this.watch);
        this.watch = null;
        if (!this.closed) this.emit('bufferedamountlow');
      }
    }, WATCH_BUFFER_MS);
  }

  // Stops using the socket for frames; the socket itself belongs to the Connection.
  close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    this.watch = null;
    this.emit('close');
  }
}

// The mid of the first media section of an SDP: the DataChannel's, with bundle there is only one.
function firstMid(sdp) {
  const match = /^a=mid:(\S+)/m.exec(sdp || '');
  return match ? match[1] : '0';
}

// A server error as an Error the page can show: code, message, fatal.
export class ServerError extends Error {
  constructor(code, message, fatal) {
    super(`${code}: ${message}`);
    this.code = code;
    this.fatal = !!fatal;
  }
}

export class Connection {
  // handlers: onState(state), onMessage(msg) for receipts and results, onError(error),
  // onClock(best) when the offset estimate changes.
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.state = 'idle';
    this.clock = new ClockOffset();
    this.ws = null;
    this.pc = null;
    this.dc = null;               // the RTCDataChannel, or a SocketFrames in the fallback
    this.transport = null;        // 'datachannel' | 'websocket' once frames can flow
    this.fallbackReason = null;   // why frames go over the WebSocket
    this.welcome = null;
    this.remoteCandidates = [];   // held until setRemoteDescription resolves
    this.remoteDescriptionSet = false;
    // Page clock marks of the handshake, for the page's display and the transport bench.
    this.timings = { offerCreated: null, answerArrived: null, iceConnected: null, channelOpen: null, offerToOpenMs: null };
    this.pingTimer = null;
    this.pingsLeft = 0;
    this.closed = false;
    this.channelOpening = null;
    this.settle = null;           // the pending connect() or openChannel() promise
    this.drainingRetries = 0;     // server_draining answers before a welcome, retried
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState?.(state);
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  // Opens /ws and resolves with the server's welcome; rejects on a server error (server_busy), a
  // closed socket or a timeout. The peer connection waits for openChannel(): Safari exposes its host
  // ICE candidates only once the page may use the camera, so the page asks for the camera first.
  connect() {
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('no welcome from the server')), WELCOME_TIMEOUT_MS);
      this.settle = {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.openSocket();
    });
  }

  // Creates the peer connection and its DataChannel and resolves with the channel once it is open,
  // or with a SocketFrames when the frames must go over the WebSocket (see the top of this file).
  openChannel() {
    if (this.dc && this.dc.readyState === 'open') return Promise.resolve(this.dc);
    if (this.channelOpening) return this.channelOpening;
    this.channelOpening = new Promise((resolve, reject) => {
      const forced = forcedTransport();
      const configured = this.welcome?.config?.datachannel_timeout_ms;
      const waitMs = forced === 'datachannel' ? OPEN_TIMEOUT_MS
        : (Number.isFinite(configured) && configured > 0 ? configured : DATACHANNEL_TIMEOUT_MS);
      const timer = setTimeout(() => this.fallBack(new Error(`the DataChannel did not open in ${waitMs} ms`)), waitMs);
      this.settle = {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      if (forced === 'websocket') this.useSocketFrames('forced by ?transport=websocket');
      else if (!webrtcSupported()) this.useSocketFrames('no RTCPeerConnection in this browser');
      else this.startPeer(this.welcome.ice_servers || []).catch((e) => this.fallBack(e));
    });
    return this.channelOpening;
  }

  // The DataChannel could not open: send the frames over the WebSocket, unless the page forces the
  // DataChannel or is already past that point.
  fallBack(error) {
    if (this.closed || this.transport !== null) return;
    if (forcedTransport() === 'datachannel') {
      this.fail(error, error.code);
      return;
    }
    const pc = this.pc;
    const dc = this.dc;
    this.pc = null;
    this.dc = null;
    try { dc?.close(); } catch { /* not open */ }
    try { pc?.close(); } catch { /* already closed */ }
    this.useSocketFrames(error.message);
  }

  useSocketFrames(reason) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      this.fail(new Error('the WebSocket is not open'), 'ws_closed');
      return;
    }
    this.transport = 'websocket';
    this.fallbackReason = reason;
    this.dc = new SocketFrames(this.ws);
    this.timings.channelOpen = pageNow();
    this.setState('open');
    this.settle?.resolve(this.dc);
  }

  // The largest message the frames' channel takes (the sequence cuts chunks to fit): the SCTP
  // transport's, for a DataChannel (undefined when the browser does not say); 64 KiB on /ws, where
  // the server's max_chunk_bytes is the real bound.
  get maxMessageSize() {
    if (this.transport === 'websocket') return MAX_MESSAGE_BYTES;
    return this.pc?.sctp ? this.pc.sctp.maxMessageSize : undefined;
  }

  openSocket() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (event) => this.onSocketMessage(event.data);
    ws.onclose = (event) => {
      this.stopPings();
      if (!this.closed) this.fail(new Error(`WebSocket closed (${event.code})`), 'ws_closed');
    };
    ws.onerror = () => {};  // onclose follows with the code
  }

  onSocketMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'welcome': return this.onWelcome(msg);
      case 'answer': return this.onAnswer(msg);
      case 'candidate': return this.onRemoteCandidate(msg.candidate);
      case 'pong': return this.onPong(msg);
      case 'error': return this.onServerError(msg);
      default: return this.handlers.onMessage?.(msg);
    }
  }

  onWelcome(msg) {
    this.welcome = msg;
    this.startPings();
    this.setState('ready');
    this.settle?.resolve(msg);
  }

  async startPeer(iceServers) {
    this.setState('signaling');
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle', iceTransportPolicy: iceTransportPolicy() });
    this.pc = pc;
    pc.onicecandidate = (event) => this.onLocalCandidate(event.candidate);
    const onPeerState = () => {
      const s = pc.connectionState || pc.iceConnectionState;
      if (this.timings.iceConnected === null && (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed')) {
        this.timings.iceConnected = pageNow();
      }
      if (this.pc !== pc) return;  // abandoned for the WebSocket
      if (s === 'failed' && this.transport === null) this.fallBack(Object.assign(new Error('peer connection failed'), { code: 'peer_failed' }));
      else if (s === 'failed') this.fail(new Error('peer connection failed'), 'peer_failed');
      // 'disconnected' is often transient on Wi-Fi (ICE recovers): only 'failed' and 'closed' end it.
      else if (s === 'closed' && this.state === 'open') this.setState('closed');
    };
    pc.onconnectionstatechange = onPeerState;
    pc.oniceconnectionstatechange = onPeerState;
    // Ordered and reliable: the server relies on sequence-start, chunks, sequence-end arriving in order.
    const dc = pc.createDataChannel('frames', { ordered: true });
    dc.binaryType = 'arraybuffer';
    this.dc = dc;
    dc.onopen = () => {
      if (this.dc !== dc) return;  // opened after the page fell back to the WebSocket
      this.transport = 'datachannel';
      this.timings.channelOpen = pageNow();
      this.timings.offerToOpenMs = this.timings.channelOpen - this.timings.offerCreated;
      this.setState('open');
      this.settle?.resolve(dc);
    };
    dc.onclose = () => {
      if (this.dc === dc && !this.closed && this.state === 'open') this.setState('closed');
    };
    this.timings.offerCreated = pageNow();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  onLocalCandidate(candidate) {
    if (!this.pc) return;  // abandoned for the WebSocket
    const mid = firstMid(this.pc?.localDescription?.sdp);
    if (!candidate) {  // end of candidates
      this.send({ type: 'candidate', candidate: { candidate: '', sdpMid: mid, sdpMLineIndex: 0 } });
      return;
    }
    const init = {
      candidate: candidate.candidate,
      // Some stacks (aiortc) match candidates by mid only: never leave it out.
      sdpMid: candidate.sdpMid ?? mid,
      sdpMLineIndex: candidate.sdpMLineIndex ?? 0,
    };
    if (candidate.usernameFragment) init.usernameFragment = candidate.usernameFragment;
    this.send({ type: 'candidate', candidate: init });
  }

  async onAnswer(msg) {
    if (!this.pc) return;  // abandoned for the WebSocket
    this.timings.answerArrived = pageNow();
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      this.remoteDescriptionSet = true;
      const held = this.remoteCandidates;
      this.remoteCandidates = [];
      for (const c of held) await this.addRemoteCandidate(c);
    } catch (e) {
      this.fallBack(e);
    }
  }

  onRemoteCandidate(candidate) {
    if (!candidate || typeof candidate !== 'object' || !this.pc) return;
    if (!this.remoteDescriptionSet) {
      this.remoteCandidates.push(candidate);
      return;
    }
    this.addRemoteCandidate(candidate);
  }

  async addRemoteCandidate(candidate) {
    try {
      await this.pc?.addIceCandidate(candidate);
    } catch (e) {
      // An end-of-candidates mark is optional; older browsers reject the empty form. Ignore that only.
      if (candidate.candidate) this.handlers.onError?.(e);
    }
  }

  startPings() {
    this.pingsLeft = PINGS_ON_CONNECT;
    this.ping();
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
  }

  stopPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  ping() {
    this.send({ type: 'ping', t0: pageNow() });
  }

  onPong(msg) {
    const t3 = pageNow();
    const sample = this.clock.addSample(msg.t0, msg.t1, msg.t2, t3);
    if (sample) this.handlers.onClock?.(this.clock.best());
    // The burst on connect: one ping after each pong, so they never queue behind each other.
    if (this.pingsLeft > 1) {
      this.pingsLeft -= 1;
      this.ping();
    } else {
      this.pingsLeft = 0;
    }
  }

  onServerError(msg) {
    const error = new ServerError(msg.code, msg.message || '', msg.fatal);
    if (error.fatal && error.code === 'server_draining' && !this.welcome && this.retryAfterDraining()) return;
    if (error.fatal) this.fail(error, msg.code);
    else this.handlers.onError?.(error);
  }

  // Drops the socket an instance refused while draining and opens another after a pause; false
  // when the retries are used up.
  retryAfterDraining() {
    if (this.drainingRetries >= DRAINING_RETRY_MS.length) return false;
    const delay = DRAINING_RETRY_MS[this.drainingRetries++];
    const ws = this.ws;
    ws.onclose = null;
    ws.onmessage = null;
    try { ws.close(); } catch { /* closing already */ }
    setTimeout(() => { if (!this.closed) this.openSocket(); }, delay);
    return true;
  }

  fail(error, code) {
    if (this.closed) return;
    if (code && !error.code) error.code = code;
    this.setState('failed');
    this.handlers.onError?.(error);
    this.settle?.reject(error);
    this.close();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.stopPings();
    try { this.dc?.close(); } catch { /* already closed */ }
    try { this.pc?.close(); } catch { /* already closed */ }
    try { this.ws?.close(); } catch { /* already closed */ }
    if (this.state !== 'failed') this.setState('closed');
  }
}
