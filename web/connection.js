// One session with the server: the WebSocket /ws (signaling, clock pings, receipts, errors) and the
// RTCPeerConnection with its DataChannel `frames` (docs/protocol.md §1–2). Standard API only;
// /vendor/adapter.js (webrtc-adapter) smooths browser differences before this module runs.
import { ClockOffset, pageNow, PINGS_ON_CONNECT, PING_INTERVAL_MS } from './clock.js';

const WELCOME_TIMEOUT_MS = 10000;
const OPEN_TIMEOUT_MS = 20000;

export function webrtcSupported() {
  return typeof window.RTCPeerConnection === 'function';
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
    this.dc = null;
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

  // Creates the peer connection and its DataChannel and resolves with the channel once it is open.
  openChannel() {
    if (this.dc && this.dc.readyState === 'open') return Promise.resolve(this.dc);
    if (this.channelOpening) return this.channelOpening;
    this.channelOpening = new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('timed out opening the DataChannel')), OPEN_TIMEOUT_MS);
      this.settle = {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.startPeer(this.welcome.ice_servers || []).catch((e) => this.fail(e));
    });
    return this.channelOpening;
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
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.onicecandidate = (event) => this.onLocalCandidate(event.candidate);
    const onPeerState = () => {
      const s = pc.connectionState || pc.iceConnectionState;
      if (this.timings.iceConnected === null && (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed')) {
        this.timings.iceConnected = pageNow();
      }
      if (s === 'failed') this.fail(new Error('peer connection failed'), 'peer_failed');
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
      this.timings.channelOpen = pageNow();
      this.timings.offerToOpenMs = this.timings.channelOpen - this.timings.offerCreated;
      this.setState('open');
      this.settle?.resolve(dc);
    };
    dc.onclose = () => {
      if (!this.closed && this.state === 'open') this.setState('closed');
    };
    this.timings.offerCreated = pageNow();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  onLocalCandidate(candidate) {
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
    this.timings.answerArrived = pageNow();
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      this.remoteDescriptionSet = true;
      const held = this.remoteCandidates;
      this.remoteCandidates = [];
      for (const c of held) await this.addRemoteCandidate(c);
    } catch (e) {
      this.fail(e);
    }
  }

  onRemoteCandidate(candidate) {
    if (!candidate || typeof candidate !== 'object') return;
    if (!this.remoteDescriptionSet) {
      this.remoteCandidates.push(candidate);
      return;
    }
    this.addRemoteCandidate(candidate);
  }

  async addRemoteCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
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
    if (error.fatal) this.fail(error, msg.code);
    else this.handlers.onError?.(error);
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
