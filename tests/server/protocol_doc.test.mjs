// docs/protocol.md is the contract: every error code the server's code can send is in its table of
// error codes, and every code in the table is one the server sends. (The aiortc client,
// tests/server/aiortc_client.py, checks the messages' fields against the document on the wire.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../lib/sueo-server.mjs';

function sources() {
  const dirs = ['src/transport', 'src/protocol'];
  return dirs.flatMap((dir) => readdirSync(join(repoRoot, dir)).filter((f) => /\.(cpp|h)$/.test(f))
    .map((f) => readFileSync(join(repoRoot, dir, f), 'utf8')));
}

// Codes sent by the server: send_error/post_error/refuse/protocol Error{...}/peer failures/{"code", ...}.
function codesInSource() {
  const codes = new Set();
  const patterns = [/(?:send_error|post_error)\(\s*"([a-z_]+)"/g, /refuse\(ws,\s*"([a-z_]+)"/g, /Error\{"([a-z_]+)"/g,
    /fail\([^,]+,\s*"([a-z_]+)"/g, /\{"code",\s*"([a-z_]+)"\}/g];
  for (const text of sources()) {
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) codes.add(m[1]);
    if (/\bbad\("/.test(text)) codes.add('bad_message');
  }
  codes.delete('peer_closed');  // internal: a closed page ends its session, nothing is sent
  return codes;
}

function codesInDocument() {
  const doc = readFileSync(join(repoRoot, 'docs', 'protocol.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 5. Errors'), doc.indexOf('## 6.'));
  return new Set([...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]));
}

test('every error code the server sends is documented, and every documented code is sent', () => {
  const sent = codesInSource();
  const documented = codesInDocument();
  assert.ok(sent.size > 10 && documented.size > 10, `found ${sent.size} in the source, ${documented.size} in the document`);
  assert.deepEqual([...sent].filter((c) => !documented.has(c)).sort(), [], 'sent but not in docs/protocol.md §5');
  assert.deepEqual([...documented].filter((c) => !sent.has(c)).sort(), [], 'documented but never sent');
});

// §7: the upload endpoint's error codes (src/transport/upload_api.cpp) and its table, both ways.
test('every error code of POST /api/recognize is in §7, and every code there is sent', () => {
  const source = readFileSync(join(repoRoot, 'src/transport/upload_api.cpp'), 'utf8');
  const sent = new Set([...source.matchAll(/refuse\([a-z]+, \d+, "([a-z_]+)"/g)].map((m) => m[1]));
  const doc = readFileSync(join(repoRoot, 'docs', 'protocol.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 7. Recorded videos'));
  const documented = new Set([...section.matchAll(/^\| \d{3} \| (.+?) \|/gm)]
    .flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((c) => c[1])));
  assert.ok(sent.size >= 8, `found ${sent.size} codes in upload_api.cpp`);
  assert.deepEqual([...sent].filter((c) => !documented.has(c)).sort(), [], 'sent but not in docs/protocol.md §7');
  assert.deepEqual([...documented].filter((c) => !sent.has(c)).sort(), [], 'in §7 but never sent');
});
