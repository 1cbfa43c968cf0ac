// The server's landmarks (docs/protocol.md §4, opt-in) drawn over the camera preview.
//
// Two things make the preview differ from the frame the server saw: the <video> shows the camera
// image with object-fit: contain (letterboxed or pillarboxed inside its box), and CSS mirrors the
// whole element (transform: scaleX(-1)) so the user sees themselves as in a mirror. The landmarks are
// in normalised coordinates of the unmirrored frame, which is the camera image scaled with its aspect
// kept, so a landmark (x, y) shows at x' = boxWidth − (image.left + x·image.width),
// y' = image.top + y·image.height. The overlay canvas itself is not transformed.

// Skeleton lines, by landmark index in MediaPipe Holistic's layout: pose 33 points (face outline,
// arms, hands' edge points, torso; legs are mostly out of a tablet's picture), hands 21 points (wrist,
// then four joints per finger from the thumb).
const POSE_LINES = [
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
  [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
  [15, 17], [15, 19], [15, 21], [17, 19], [16, 18], [16, 20], [16, 22], [18, 20],
  [11, 23], [12, 24], [23, 24],
];
const HAND_LINES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16], [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
];
const COLORS = { pose: 'rgba(255, 255, 255, 0.85)', left: '#f97316', right: '#22d3ee' };
// Landmarks older than this are wiped: the sequence ended or the server stopped sending.
const STALE_MS = 700;

// Where an image of srcWidth × srcHeight is shown inside a box with object-fit: contain and the
// default object-position (centred): {left, top, width, height} in the box's pixels.
export function containRect(boxWidth, boxHeight, srcWidth, srcHeight) {
  if (!(boxWidth > 0 && boxHeight > 0 && srcWidth > 0 && srcHeight > 0)) {
    return { left: 0, top: 0, width: Math.max(0, boxWidth), height: Math.max(0, boxHeight) };
  }
  const scale = Math.min(boxWidth / srcWidth, boxHeight / srcHeight);
  const width = srcWidth * scale;
  const height = srcHeight * scale;
  return { left: (boxWidth - width) / 2, top: (boxHeight - height) / 2, width, height };
}

// A landmark of the unmirrored frame → the point the user sees it at, in the box's CSS pixels.
export function toDisplay(x, y, rect, boxWidth, mirrored = true) {
  const unmirrored = rect.left + x * rect.width;
  return { x: mirrored ? boxWidth - unmirrored : unmirrored, y: rect.top + y * rect.height };
}

export class LandmarkOverlay {
  // canvas: absolutely placed over `video`, same box; the page clears and sizes it.
  constructor(canvas, video) {
    this.canvas = canvas;
    this.video = video;
    this.ctx = canvas.getContext('2d');
    this.drawn = 0;          // landmark messages drawn
    this.last = null;        // the last message drawn
    this.staleTimer = null;
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.redraw()).observe(video);
    else window.addEventListener('resize', () => this.redraw());
  }

  // The video's box and where the camera image sits in it, in CSS pixels.
  geometry() {
    const boxWidth = this.video.clientWidth;
    const boxHeight = this.video.clientHeight;
    return {
      boxWidth, boxHeight,
      rect: containRect(boxWidth, boxHeight, this.video.videoWidth, this.video.videoHeight),
      mirrored: /matrix\(-1,/.test(getComputedStyle(this.video).transform.replace(/\s/g, '')),
    };
  }

  // The point (CSS pixels of the box) where the landmark (x, y) is drawn: for tests.
  pointAt(x, y) {
    const g = this.geometry();
    return toDisplay(x, y, g.rect, g.boxWidth, g.mirrored);
  }

  draw(msg) {
    this.last = msg;
    this.drawn += 1;
    this.redraw();
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.clear(), STALE_MS);
  }

  clear() {
    clearTimeout(this.staleTimer);
    this.last = null;
    this.redraw();
  }

  redraw() {
    const g = this.geometry();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(g.boxWidth * dpr);
    const height = Math.round(g.boxHeight * dpr);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!this.last) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const project = (x, y) => toDisplay(x, y, g.rect, g.boxWidth, g.mirrored);
    this.part(this.last.pose, POSE_LINES, COLORS.pose, project, 2);
    this.part(this.last.left, HAND_LINES, COLORS.left, project, 2.5);
    this.part(this.last.right, HAND_LINES, COLORS.right, project, 2.5);
  }

  // One part: flat [x0, y0, x1, y1, …] normalised; an empty array draws nothing.
  part(flat, lines, color, project, radius) {
    if (!Array.isArray(flat) || flat.length < 2) return;
    const points = [];
    for (let i = 0; i + 1 < flat.length; i += 2) points.push(project(flat[i], flat[i + 1]));
    const ctx = this.ctx;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const [a, b] of lines) {
      if (!points[a] || !points[b]) continue;
      ctx.moveTo(points[a].x, points[a].y);
      ctx.lineTo(points[b].x, points[b].y);
    }
    ctx.stroke();
    for (const p of points) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
