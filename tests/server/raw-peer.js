// Injected into a page of the server's origin by datachannel.test.mjs: a bare WebRTC client that can
// send *any* bytes on the `frames` DataChannel, so the tests can feed the server well-formed and
// malformed chunks alike. It encodes the chunk header itself (docs/protocol.md §2), independently of
// the web client's code.
window.rawPeer = (() => {
  const messages = [];
  let ws, pc, channel;

  function header({ version = 1, kind = 1, headerBytes = 32, seq, frame, chunk, count, frameBytes, offset, capture = Date.now() }) {
    const view = new DataView(new ArrayBuffer(32));
    view.setUint8(0, version);
    view.setUint8(1, kind);
    view.setUint16(2, headerBytes);
    view.setUint32(4, seq);
    view.setUint32(8, frame);
    view.setUint16(12, chunk);
    view.setUint16(14, count);
    view.setUint32(16, frameBytes);
    view.setUint32(20, offset);
    view.setFloat64(24, capture);
    return new Uint8Array(view.buffer);
  }

  // Cuts a frame into chunks of at most `max` bytes (header included).
  function chunks(seq, frame, bytes, max = 16384, fields = {}) {
    const room = max - 32;
    const count = Math.max(1, Math.ceil(bytes.length / room));
    const capture = Date.now();  // one capture time for every chunk of the frame
    const out = [];
    for (let i = 0; i < count; i++) {
      const payload = bytes.subarray(i * room, Math.min(bytes.length, (i + 1) * room));
      const message = new Uint8Array(32 + payload.length);
      message.set(header({ seq, frame, chunk: i, count, frameBytes: bytes.length, offset: i * room, capture, ...fields }), 0);
      message.set(payload, 32);
      out.push(message);
    }
    return out;
  }

  async function connect(wsUrl) {
    ws = new WebSocket(wsUrl);
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      messages.push(message);
      if (message.type === 'answer') pc.setRemoteDescription(message).catch((e) => messages.push({ type: 'local-error', message: String(e) }));
      if (message.type === 'candidate' && message.candidate.candidate) pc.addIceCandidate(message.candidate).catch(() => {});
    };
    ws.onclose = (event) => messages.push({ type: 'ws-close', code: event.code, reason: event.reason });
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.onicecandidate = (event) => { if (event.candidate) ws.send(JSON.stringify({ type: 'candidate', candidate: event.candidate.toJSON() })); };
    channel = pc.createDataChannel('frames', { ordered: true });
    channel.binaryType = 'arraybuffer';
    const opened = new Promise((resolve) => { channel.onopen = resolve; });
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }));
    await opened;
  }

  async function drain() {
    while (channel.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 5));
  }

  return {
    messages, header, chunks, connect, drain,
    send(bytes) { channel.send(bytes); },
    sendText(text) { channel.send(text); },
    sendJson(value) { channel.send(JSON.stringify(value)); },
    // A sequence-start with every required field (docs/protocol.md §2); `fields` overrides any.
    start(seq, frames, fields = {}) {
      channel.send(JSON.stringify({ type: 'sequence-start', seq, frames, fps: 15, width: 640, height: 480, t_start: Date.now(), ...fields }));
    },
    close() { pc.close(); ws.close(); },
    closePeerOnly() { pc.close(); },
  };
})();
