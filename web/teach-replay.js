// A recorded example replayed as a moving stick figure, so the person teaching can see what the server
// took (the sign's frames, 258 values each: pose 33 × (x, y, z, visibility), left hand 21 × (x, y, z),
// right hand 21 × (x, y, z), normalised image coordinates of the unmirrored camera) and redo a bad take.
// Drawn mirrored, as the preview shows the user.

const POSE_LINES = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23], [12, 24], [23, 24],
];
const HAND_LINES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
];
const PARTS = [
  { offset: 0, stride: 4, count: 33, lines: POSE_LINES, color: '#cbd5e1' },
  { offset: 132, stride: 3, count: 21, lines: HAND_LINES, color: '#f97316' },
  { offset: 195, stride: 3, count: 21, lines: HAND_LINES, color: '#22d3ee' },
];
const FPS = 15;

function present(frame, part) {
  for (let i = 0; i < part.count * part.stride; i += 1) if (frame[part.offset + i] !== 0) return true;
  return false;
}

// The box around every present point of every frame, so the figure fills the canvas. `ys`: how much a
// y fraction is worth against an x fraction (1 / the frames' width-to-height aspect).
export function bounds(frames, ys = 1) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const frame of frames) {
    for (const part of PARTS) {
      if (!present(frame, part)) continue;
      const n = part === PARTS[0] ? 23 : part.count;  // pose: head, arms and hands (not hips or legs)
      for (let j = 0; j < n; j += 1) {
        const x = frame[part.offset + j * part.stride];
        const y = frame[part.offset + j * part.stride + 1] * ys;
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
  }
  if (!Number.isFinite(minX)) return { minX: 0, minY: 0, maxX: 1, maxY: 1 };
  const pad = 0.06 * Math.max(maxX - minX, maxY - minY);
  return { minX: minX - pad, minY: minY - pad, maxX: maxX + pad, maxY: maxY + pad };
}

export class Replay {
  // `aspect`: the width / height the frames' coordinates are fractions of (the result's sign.aspect),
  // so the figure keeps the signer's proportions; 0: unknown, x and y drawn alike.
  constructor(canvas, frames, aspect = 0) {
    this.canvas = canvas;
    this.frames = frames;
    this.ys = aspect > 0 ? 1 / aspect : 1;
    this.box = bounds(frames, this.ys);
    this.index = 0;
    this.timer = null;
  }

  start() {
    this.stop();
    this.timer = setInterval(() => {
      this.draw(this.frames[this.index]);
      this.index = (this.index + 1) % Math.max(1, this.frames.length + 8);  // a short pause between loops
    }, 1000 / FPS);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  draw(frame) {
    if (!frame) return;  // the pause at the end of a loop keeps the last frame
    const { canvas } = this;
    const ctx = canvas.getContext('2d');
    const w = canvas.width;
    const h = canvas.height;
    const { minX, minY, maxX, maxY } = this.box;
    const scale = Math.min(w / (maxX - minX), h / (maxY - minY));
    const ox = (w - (maxX - minX) * scale) / 2;
    const oy = (h - (maxY - minY) * scale) / 2;
    const at = (x, y) => [w - (ox + (x - minX) * scale), oy + (y * this.ys - minY) * scale];  // mirrored
    ctx.clearRect(0, 0, w, h);
    ctx.lineWidth = Math.max(1.5, w / 120);
    ctx.lineCap = 'round';
    for (const part of PARTS) {
      if (!present(frame, part)) continue;
      ctx.strokeStyle = part.color;
      ctx.beginPath();
      for (const [a, b] of part.lines) {
        const [x1, y1] = at(frame[part.offset + a * part.stride], frame[part.offset + a * part.stride + 1]);
        const [x2, y2] = at(frame[part.offset + b * part.stride], frame[part.offset + b * part.stride + 1]);
        ctx.moveTo(x1, y1);
        ctx.lineTo(x2, y2);
      }
      ctx.stroke();
    }
  }
}
