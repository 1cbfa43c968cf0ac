// The committed KSL-77 test clips (tests/data/clips, CC BY-NC 4.0, see tests/data/NOTICE) and the
// word each one signs. A clip's file name holds the dataset's label: c<class>_<label>_s<signer>_<id>.
// The dataset's labels are its own English spellings (c03 "meat" is the sign 만나다, meet); the
// table maps them to the gloss and Korean word of models/vocabulary.json, and a result is matched on
// either, so a model that names its labels differently in one language still matches.
import { readdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const clipsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/clips');

const WORDS = {
  hi: { gloss: 'hi', word: '안녕' },
  meat: { gloss: 'meet', word: '만나다' },
  bi_bim_rice: { gloss: 'bibimbap', word: '비빔밥' },
  me: { gloss: 'me', word: '나' },
  face: { gloss: 'face', word: '얼굴' },
  see: { gloss: 'see', word: '보다' },
};

// {file, name, label, gloss, word} for every clip, in file-name order.
export function listClips() {
  return readdirSync(clipsDir).filter((f) => f.endsWith('.mp4')).sort().map((name) => {
    const m = /^c\d+_(.+)_s\d+_[0-9a-f]+\.mp4$/.exec(name);
    if (!m || !WORDS[m[1]]) throw new Error(`clip ${name}: no known label in its name`);
    return { file: path.join(clipsDir, name), name, label: m[1], ...WORDS[m[1]] };
  });
}

// Whether a result (or a top-3 item) names the clip's word: by gloss or Korean word.
export function isClipWord(item, clip) {
  if (!item || typeof item.word !== 'string') return false;
  const same = (a, b) => typeof a === 'string' && a.trim().toLowerCase() === b.toLowerCase();
  return same(item.word, clip.word) || same(item.gloss, clip.gloss);
}

// A result in one line for a failing assertion: the word or the reason, the signs found, the frames.
export function describeResult(r) {
  if (!r) return 'no result';
  const signs = (r.signs ?? []).map((s) => `${s.word ?? s.reason}@${Math.round(s.start_ms ?? 0)}-${Math.round(s.end_ms ?? 0)}` +
    (s.similarity !== undefined ? ` sim ${s.similarity.toFixed(3)}` : '') + (s.score !== undefined ? ` p ${s.score.toFixed(2)}` : ''));
  return `${r.word ?? `null (${r.reason})`} score ${r.score ?? r.guess?.score ?? '-'}, signs [${signs.join(' ')}], ` +
    `frames ${JSON.stringify(r.frames ?? {})}`;
}

// The number of frames in a y4m file: its size less the stream header, over one frame's size
// (each frame is "FRAME" + optional parameters + "\n" + width·height·1.5 bytes of 4:2:0).
export function y4mFrameCount(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(512);
    readSync(fd, head, 0, head.length, 0);
    const headerEnd = head.indexOf(0x0a);
    const header = head.subarray(0, headerEnd).toString('latin1');
    const width = Number(/ W(\d+)/.exec(header)[1]);
    const height = Number(/ H(\d+)/.exec(header)[1]);
    const frameHeaderEnd = head.indexOf(0x0a, headerEnd + 1);
    const frameHeader = frameHeaderEnd - headerEnd;  // "FRAME…\n"
    const frameBytes = frameHeader + (width * height * 3) / 2;
    return (statSync(file).size - (headerEnd + 1)) / frameBytes;
  } finally {
    closeSync(fd);
  }
}
