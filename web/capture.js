// The camera and the frames taken from it. The preview <video> is mirrored by CSS only; the canvas
// gets the camera's own (unmirrored) image, so the server sees what the camera sees.
import { pageNow } from './clock.js';

// Frames being JPEG-encoded at once. toBlob copies the canvas when called, so the next frame may be
// drawn while one encodes; two in flight absorb a slow encode without piling up memory.
export const MAX_ENCODES_IN_FLIGHT = 2;

export function cameraSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

export async function openCamera(video, width, height) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: width }, height: { ideal: height } },
  });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute('playsinline', '');
  await video.play().catch(() => {});  // autoplay muted is allowed; play() only hurries it
  await waitForVideoSize(video);
  return stream;
}

function waitForVideoSize(video) {
  if (video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (video.videoWidth > 0) {
        video.removeEventListener('loadedmetadata', check);
        video.removeEventListener('resize', check);
        resolve();
      }
    };
    video.addEventListener('loadedmetadata', check);
    video.addEventListener('resize', check);
  });
}

export function closeCamera(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

// The canvas size for a camera image: scaled to fit the server's width × height box, aspect kept
// (no stretching, no cropping: hands at the edge of the picture matter). Even sizes suit JPEG's 4:2:0.
export function fitSize(videoWidth, videoHeight, boxWidth, boxHeight) {
  const scale = Math.min(boxWidth / videoWidth, boxHeight / videoHeight, 1);
  const even = (v) => Math.max(2, Math.round(v / 2) * 2);
  return { width: even(videoWidth * scale), height: even(videoHeight * scale) };
}

function blobBytes(blob) {
  if (blob.arrayBuffer) return blob.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {  // Safari before 14
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

// Draws the current video image to a canvas and encodes it as JPEG.
export class FrameGrabber {
  constructor(video, boxWidth, boxHeight, quality) {
    this.video = video;
    this.quality = quality;
    const size = fitSize(video.videoWidth, video.videoHeight, boxWidth, boxHeight);
    this.canvas = document.createElement('canvas');
    this.canvas.width = size.width;
    this.canvas.height = size.height;
    this.ctx = this.canvas.getContext('2d');
    this.inFlight = 0;
    this.encodeMs = [];
  }

  get width() { return this.canvas.width; }
  get height() { return this.canvas.height; }

  // Resolves with {bytes, captureTime}, or null when MAX_ENCODES_IN_FLIGHT are already running
  // (the caller counts that frame as skipped).
  grab() {
    if (this.inFlight >= MAX_ENCODES_IN_FLIGHT) return null;
    this.inFlight += 1;
    this.ctx.drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    const captureTime = pageNow();
    return new Promise((resolve, reject) => {
      this.canvas.toBlob((blob) => {
        this.inFlight -= 1;
        this.encodeMs.push(pageNow() - captureTime);
        if (!blob) {
          reject(new Error('JPEG encoding failed'));
          return;
        }
        blobBytes(blob).then((bytes) => resolve({ bytes, captureTime }), reject);
      }, 'image/jpeg', this.quality);
    });
  }
}
