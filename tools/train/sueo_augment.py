"""Augmentations that keep a landmark sequence's meaning: end crops (time), small rotation / scale /
shift of the whole body, coordinate jitter, and hand dropout (what a missed detection looks like).
Mirroring (train.py --mirror, default 0.3) makes a take as a left-handed signer signs it: KSL-77
signer 08 signs 나 and 얼굴 with the left hand, and without it the model missed those (see
models/MODEL_CARD.md).
Zeros mean "not detected" and stay zero."""
import numpy as np

from sueo_prep import FRAME, LEFT, RIGHT, resample

XY_INDEX = np.zeros((FRAME,), dtype=np.int64) - 1  # 0: x, 1: y, -1: other (z, visibility)
for _j in range(33):
    XY_INDEX[_j * 4] = 0
    XY_INDEX[_j * 4 + 1] = 1
for _lo, _ in (LEFT, RIGHT):
    for _j in range(21):
        XY_INDEX[_lo + _j * 3] = 0
        XY_INDEX[_lo + _j * 3 + 1] = 1
X_COLS = np.flatnonzero(XY_INDEX == 0)
Y_COLS = np.flatnonzero(XY_INDEX == 1)


def crop_resample(seq, frames, rng, crop=0.1):
    """Drops up to `crop` of the (already trimmed) sequence at each end, then resamples."""
    n = len(seq)
    lo = rng.integers(0, int(n * crop) + 1)
    hi = n - rng.integers(0, int(n * crop) + 1)
    if hi - lo < 2:
        lo, hi = 0, n
    return resample(seq[lo:hi], frames)


def spatial(seq, rng, degrees=10.0, scale=(0.9, 1.1), shift=0.03, jitter=0.002, aspect=0.0):
    """Rotation, scale, shift and jitter of the whole body; with `aspect` > 0 also a vertical stretch
    by exp(U(-aspect, aspect)): image coordinates are fractions of width and height, so another
    camera's aspect ratio or framing stretches every vertical distance (docs/teach.md, 배고프다)."""
    out = seq.copy()
    present = out != 0
    cx = 0.5 * (out[:, 11 * 4] + out[:, 12 * 4]).mean()
    cy = 0.5 * (out[:, 11 * 4 + 1] + out[:, 12 * 4 + 1]).mean()
    theta = np.deg2rad(rng.uniform(-degrees, degrees))
    s = rng.uniform(*scale)
    c, sn = np.cos(theta) * s, np.sin(theta) * s
    x = out[:, X_COLS] - cx
    y = out[:, Y_COLS] - cy
    tx, ty = rng.uniform(-shift, shift, size=2)
    out[:, X_COLS] = c * x - sn * y + cx + tx
    out[:, Y_COLS] = (sn * x + c * y) * (np.exp(rng.uniform(-aspect, aspect)) if aspect > 0 else 1.0) + cy + ty
    out[:, X_COLS] += rng.normal(0, jitter, size=(len(out), len(X_COLS)))
    out[:, Y_COLS] += rng.normal(0, jitter, size=(len(out), len(Y_COLS)))
    return np.where(present, out, 0.0).astype(np.float32)


def hand_dropout(seq, rng, p_span=0.2, p_frame=0.03):
    """Zeroes one hand over a random span (a lost track), and single hands in a few random frames."""
    out = seq.copy()
    t = len(out)
    if rng.random() < p_span:
        lo_hi = LEFT if rng.random() < 0.5 else RIGHT
        length = rng.integers(max(1, t // 10), max(2, t // 3))
        start = rng.integers(0, t - length + 1)
        out[start:start + length, lo_hi[0]:lo_hi[1]] = 0
    for lo, hi in (LEFT, RIGHT):
        drop = rng.random(t) < p_frame
        out[drop, lo:hi] = 0
    return out


# MediaPipe pose landmark pairs (left, right): eyes, ears, mouth, shoulders ... feet (pose_landmark
# topology in mediapipe/modules/pose_landmark); nose (0) has no pair.
POSE_PAIRS = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
              (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32))


def mirror(seq, rng, p):
    """With probability p, the take as a left-handed signer would make it: x -> 1 - x, and the body's
    left and right (pose pairs, hand slots) trade places."""
    if p <= 0 or rng.random() >= p:
        return seq
    present = seq != 0
    out = np.where(present[:, X_COLS], 1.0 - seq[:, X_COLS], 0.0)
    m = seq.copy()
    m[:, X_COLS] = out
    pose = m[:, :132].reshape(len(m), 33, 4).copy()
    for a, b in POSE_PAIRS:
        pose[:, [a, b]] = pose[:, [b, a]]
    m[:, :132] = pose.reshape(len(m), 132)
    left = m[:, LEFT[0]:LEFT[1]].copy()
    m[:, LEFT[0]:LEFT[1]] = m[:, RIGHT[0]:RIGHT[1]]
    m[:, RIGHT[0]:RIGHT[1]] = left
    return m.astype(np.float32)


def augment(seq, frames, rng, mirror_p=0.0, aspect=0.0):
    return mirror(hand_dropout(spatial(crop_resample(seq, frames, rng), rng, aspect=aspect), rng), rng, mirror_p)
