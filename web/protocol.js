// Wire protocol v1, page side (docs/protocol.md §2): the 32-byte chunk header, cutting a JPEG into
// DataChannel messages, and the sequence control messages. No DOM here, so Node can import it too
// (tests/browser/ uses it for the simple-peer client and its own checks).

export const PROTOCOL_VERSION = 1;
export const KIND_FRAME_CHUNK = 1;
export const HEADER_BYTES = 32;
// Browsers cap DataChannel messages at 64 KiB when the answer carries no a=max-message-size
// (webrtcbin's does not), and webrtcbin splits larger ones without an end-of-record mark.
export const MAX_MESSAGE_BYTES = 65536;
// Used when the browser does not expose pc.sctp (older Safari): the size every SCTP stack accepts.
export const FALLBACK_MESSAGE_BYTES = 16384;

// The largest message to send: min(pc.sctp.maxMessageSize, 64 KiB, the server's max_chunk_bytes).
export function chunkLimit(sctpMaxMessageSize, serverMaxChunkBytes) {
  let limit = MAX_MESSAGE_BYTES;
  if (Number.isFinite(sctpMaxMessageSize) && sctpMaxMessageSize > 0) {
    limit = Math.min(limit, sctpMaxMessageSize);
  } else {
    limit = FALLBACK_MESSAGE_BYTES;
  }
  if (Number.isFinite(serverMaxChunkBytes) && serverMaxChunkBytes > HEADER_BYTES) {
    limit = Math.min(limit, serverMaxChunkBytes);
  }
  return limit;
}

// Writes one header into `view` at byte 0 (big-endian: DataView's default).
function writeHeader(view, h) {
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, KIND_FRAME_CHUNK);
  view.setUint16(2, HEADER_BYTES);
  view.setUint32(4, h.seq >>> 0);
  view.setUint32(8, h.frameIndex >>> 0);
  view.setUint16(12, h.chunkIndex);
  view.setUint16(14, h.chunkCount);
  view.setUint32(16, h.frameBytes);
  view.setUint32(20, h.chunkOffset);
  view.setFloat64(24, h.captureTime);
}

// Cuts one JPEG (Uint8Array) into chunk messages of at most `maxMessageBytes` each, header included.
// Every chunk but the last carries a full payload. Returns an array of ArrayBuffers.
export function makeChunks(seq, frameIndex, captureTime, jpeg, maxMessageBytes) {
  const payloadMax = maxMessageBytes - HEADER_BYTES;
  if (!(payloadMax > 0)) throw new RangeError(`chunk limit ${maxMessageBytes} leaves no room for a payload`);
  if (jpeg.byteLength < 1) throw new RangeError('empty frame');
  const chunkCount = Math.ceil(jpeg.byteLength / payloadMax);
  if (chunkCount > 0xffff) throw new RangeError(`frame of ${jpeg.byteLength} bytes needs too many chunks`);
  const chunks = [];
  for (let i = 0; i < chunkCount; i++) {
    const offset = i * payloadMax;
    const payload = jpeg.subarray(offset, Math.min(offset + payloadMax, jpeg.byteLength));
    const buffer = new ArrayBuffer(HEADER_BYTES + payload.byteLength);
    writeHeader(new DataView(buffer), {
      seq, frameIndex, chunkIndex: i, chunkCount,
      frameBytes: jpeg.byteLength, chunkOffset: offset, captureTime,
    });
    new Uint8Array(buffer, HEADER_BYTES).set(payload);
    chunks.push(buffer);
  }
  return chunks;
}

// Reads a header back (tests, and a page debugging its own output). Returns null when the message
// is shorter than a header.
export function parseHeader(buffer) {
  if (buffer.byteLength < HEADER_BYTES) return null;
  const view = new DataView(buffer instanceof ArrayBuffer ? buffer : buffer.buffer,
    buffer.byteOffset || 0, buffer.byteLength);
  return {
    version: view.getUint8(0),
    kind: view.getUint8(1),
    headerBytes: view.getUint16(2),
    seq: view.getUint32(4),
    frameIndex: view.getUint32(8),
    chunkIndex: view.getUint16(12),
    chunkCount: view.getUint16(14),
    frameBytes: view.getUint32(16),
    chunkOffset: view.getUint32(20),
    captureTime: view.getFloat64(24),
    payloadBytes: buffer.byteLength - HEADER_BYTES,
  };
}

// mode: 'window' (the default, sent only when 'live') or 'live' (docs/protocol.md §2, §4).
export function sequenceStart({ seq, frames, fps, width, height, tStart, detail, mode }) {
  const message = { type: 'sequence-start', seq, frames, fps, width, height, t_start: tStart };
  if (detail) message.detail = true;
  if (mode === 'live') message.mode = 'live';
  return JSON.stringify(message);
}

// final: false on a live sequence that the next one continues (the default, true, is not sent).
export function sequenceEnd({ seq, frames, tLastSent, final }) {
  const message = { type: 'sequence-end', seq, frames, t_last_sent: tLastSent };
  if (final === false) message.final = false;
  return JSON.stringify(message);
}

// A fresh unsigned 32-bit sequence id. crypto.getRandomValues exists in every browser with WebRTC
// and in Node 20.
export function newSequenceId() {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0];
}
