// A small /ws client for the server tests: collects messages and waits for the next one that matches.
export class WsClient {
  constructor(url) {
    this.messages = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    this.ws = new WebSocket(url);
    this.ws.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => !(w.match(message) && (w.resolve(message), true)));
    });
    this.ws.addEventListener('close', (event) => this.resolveClosed({ code: event.code, reason: event.reason }));
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', resolve, { once: true });
      this.ws.addEventListener('error', () => reject(new Error('websocket error')), { once: true });
    });
  }

  static async connect(url) {
    const client = new WsClient(url);
    await client.opened;
    return client;
  }

  send(value) { this.ws.send(typeof value === 'string' ? value : JSON.stringify(value)); }

  // Resolves with the first message (already received, or next) for which `match` is true.
  next(match, timeoutMs = 5000) {
    const seen = this.messages.find(match);
    if (seen) { this.messages.splice(this.messages.indexOf(seen), 1); return Promise.resolve(seen); }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(timer); this.messages.splice(this.messages.indexOf(m), 1); resolve(m); } });
    });
  }

  error(code, timeoutMs) { return this.next((m) => m.type === 'error' && m.code === code, timeoutMs); }
  type(type, timeoutMs) { return this.next((m) => m.type === type, timeoutMs); }
  close() { this.ws.close(); return this.closed; }
}
