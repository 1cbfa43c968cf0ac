// A WebSocket client written from RFC 6455 for the tests that a browser-like client cannot do: any
// request headers (Origin, X-Forwarded-For), a client that stops reading, frames sent in bulk. It
// reads server frames into {opcode, text} and records the close code.
import tls from 'node:tls';
import crypto from 'node:crypto';

export class RawWs {
  // Resolves once the upgrade answered: `status` is the HTTP status (101 when upgraded).
  static connect(url, headers = {}) {
    const { hostname, port } = new URL(url);
    const socket = tls.connect({ host: hostname, port: Number(port), servername: 'localhost' });
    const ws = new RawWs(socket);
    const key = crypto.randomBytes(16).toString('base64');
    const lines = [`GET /ws HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.on('secureConnect', () => socket.write(lines.join('\r\n') + '\r\n\r\n'));
    return ws.upgraded;
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.messages = [];
    this.closeCode = null;
    this.closed = new Promise((resolve) => socket.on('close', () => resolve(this.closeCode)));
    socket.on('error', () => {});
    this.upgraded = new Promise((resolve, reject) => {
      socket.on('data', (chunk) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        if (this.status === undefined) {
          const end = this.buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          this.status = Number(/^HTTP\/1\.1 (\d+)/.exec(this.buffer.subarray(0, end).toString())?.[1]);
          this.buffer = this.buffer.subarray(end + 4);
          resolve(this);
        }
        this.parse();
      });
      socket.on('close', () => { if (this.status === undefined) reject(new Error('closed before the upgrade')); });
    });
  }

  parse() {
    for (;;) {
      if (this.buffer.length < 2) return;
      let length = this.buffer[1] & 0x7f;
      let at = 2;
      if (length === 126) { if (this.buffer.length < 4) return; length = this.buffer.readUInt16BE(2); at = 4; }
      else if (length === 127) { if (this.buffer.length < 10) return; length = Number(this.buffer.readBigUInt64BE(2)); at = 10; }
      if (this.buffer.length < at + length) return;
      const opcode = this.buffer[0] & 0x0f;
      const payload = this.buffer.subarray(at, at + length);
      this.buffer = this.buffer.subarray(at + length);
      if (opcode === 8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.messages.push({ opcode, text: opcode === 8 ? payload.subarray(2).toString() : payload.toString() });
    }
  }

  // A masked client frame.
  static frame(opcode, payload) {
    const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const mask = crypto.randomBytes(4);
    let head;
    if (data.length < 126) head = Buffer.from([0x80 | opcode, 0x80 | data.length]);
    else if (data.length < 65536) { head = Buffer.alloc(4); head[0] = 0x80 | opcode; head[1] = 0x80 | 126; head.writeUInt16BE(data.length, 2); }
    else { head = Buffer.alloc(10); head[0] = 0x80 | opcode; head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(data.length), 2); }
    const masked = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ mask[i % 4];
    return Buffer.concat([head, mask, masked]);
  }

  sendText(text) { return this.socket.write(RawWs.frame(1, text)); }
  json() { return this.messages.filter((m) => m.opcode === 1).map((m) => JSON.parse(m.text)); }
  pause() { this.socket.pause(); }
  destroy() { this.socket.destroy(); }
}
