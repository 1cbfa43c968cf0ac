// The server's teach API (docs/teach.md): the taught words, and changes behind the teach token.
// No DOM here.

const TOKEN_KEY = 'sueo.teachToken';

export class TeachApi {
  constructor(base = '') {
    this.base = base;
    this.token = readToken();
  }

  async list() {
    return this.call('GET', '/api/vocab');
  }

  // Checks a token with the server; keeps it (this tab and later visits) when it is right.
  async unlock(token) {
    const r = await this.call('POST', '/api/teach/check', null, token);
    if (r.ok) {
      this.token = token;
      writeToken(token);
    }
    return r;
  }

  lock() {
    this.token = '';
    writeToken('');
  }

  teach(word, gloss, examples, session) {
    return this.call('POST', '/api/vocab', { word, gloss, examples, session });
  }

  rename(word, to, gloss) {
    return this.call('POST', '/api/vocab/rename', { word, to, gloss });
  }

  remove(word) {
    return this.call('POST', '/api/vocab/delete', { word });
  }

  // {ok, status, body}; a refused token is forgotten, so the view falls back to read-only.
  async call(method, path, body = null, token = this.token) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers['X-Teach-Token'] = token;
    let response;
    try {
      response = await fetch(this.base + path, {
        method, headers, body: body === null ? undefined : JSON.stringify(body), cache: 'no-store',
      });
    } catch (error) {
      return { ok: false, status: 0, body: { error: 'network', message: error.message } };
    }
    const parsed = await response.json().catch(() => ({}));
    if ((response.status === 401 || response.status === 403) && token === this.token) this.lock();
    return { ok: response.ok, status: response.status, body: parsed };
  }
}

function readToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

function writeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private browsing: the token lasts as long as the page.
  }
}
