"""What happens to a landmark sequence before the classifier sees it.

Two halves, matching docs/model.md:
  * trim + resample to T frames: numpy here, C++ in src/sign/resample.cpp. The two must agree
    (tests/unit/sign checks it), so this file and that one describe the same algorithm step by step.
  * normalisation: a torch module (Preprocess) that is exported *inside* the ONNX graph, so the
    server feeds raw landmarks and a user's raw-258 model meets the same contract.

Layout of one frame (258 float32, MediaPipe Holistic legacy solution, normalised image coordinates,
zeros where a part was not detected): [0:132] pose 33 x (x, y, z, visibility), [132:195] left hand
21 x (x, y, z), [195:258] right hand 21 x (x, y, z).
"""
import numpy as np
import torch
from torch import nn

FRAME = 258
PARTS = ((0, 132), (132, 195), (195, 258))  # pose, left hand, right hand
LEFT = (132, 195)
RIGHT = (195, 258)
DEFAULT_FRAMES = 48
DEFAULT_TRIM_MARGIN = 4


def hands_visible(seq):
    """Per frame: is any hand value non-zero."""
    return np.any(seq[:, 132:258] != 0, axis=1)


def trim_to_hands(seq, margin):
    """Keeps the span from the first to the last frame where a hand is visible, widened by `margin`
    frames each side. A sequence without any visible hand is kept whole."""
    seq = np.asarray(seq, dtype=np.float32)
    visible = np.flatnonzero(hands_visible(seq))
    if visible.size == 0:
        return seq
    lo = max(0, int(visible[0]) - margin)
    hi = min(len(seq) - 1, int(visible[-1]) + margin)
    return seq[lo:hi + 1]


def resample(seq, frames):
    """Linear resampling to `frames` frames. Output frame i sits at position i*(n-1)/(frames-1) of the
    input (computed in double). Each part (pose, left hand, right hand) is interpolated in float32 as
    a + w*(b - a) when it is present in both neighbouring frames; otherwise the nearer frame's part is
    copied (w < 0.5 takes the earlier one), so a hand never fades towards the zeros that mean absent."""
    seq = np.asarray(seq, dtype=np.float32)
    n = len(seq)
    if n == 0:
        raise ValueError("empty sequence")
    if frames == n:
        return seq.copy()
    i = np.arange(frames, dtype=np.float64)
    pos = i * (n - 1) / (frames - 1) if frames > 1 else np.zeros(1)
    i0 = np.floor(pos).astype(np.int64)
    i0 = np.minimum(i0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    w = (pos - i0).astype(np.float32)[:, None]
    a = seq[i0]
    b = seq[i1]
    out = np.empty((frames, FRAME), dtype=np.float32)
    for lo, hi in PARTS:
        pa = np.any(a[:, lo:hi] != 0, axis=1)
        pb = np.any(b[:, lo:hi] != 0, axis=1)
        lerp = a[:, lo:hi] + w * (b[:, lo:hi] - a[:, lo:hi])
        nearest = np.where(w < 0.5, a[:, lo:hi], b[:, lo:hi])
        out[:, lo:hi] = np.where((pa & pb)[:, None], lerp, nearest)
    return out


def prepare(seq, frames=DEFAULT_FRAMES, margin=DEFAULT_TRIM_MARGIN):
    """What the server does before the model: trim, then resample (None: keep the trimmed length)."""
    trimmed = trim_to_hands(seq, margin)
    return trimmed if frames is None else resample(trimmed, frames)


# ---- normalisation inside the graph -------------------------------------------------------------
# Every step is a MatMul with a constant, an elementwise op, Relu, Sqrt or Concat: operators OpenCV
# 4.6's ONNX importer reads (no Gather, Where, ReduceX with axes inputs, or Clip).

UPPER_BODY = range(25)  # pose landmarks 0..24: face, arms, hips. Legs (25..32) are mostly out of frame.
L_SHOULDER, R_SHOULDER = 11, 12
PRESENT_GAIN = 1.0e4  # |coords| summed over a part is >> 1e-4 when detected, exactly 0 when absent


def _linear_map():
    """Columns: upper-body pose xy minus the shoulders' midpoint (50); per hand: 21 xyz minus its
    wrist (63) and wrist xy minus the shoulders' midpoint (2)."""
    cols = []

    def col(terms):
        c = np.zeros(FRAME, dtype=np.float32)
        for index, weight in terms:
            c[index] += weight
        cols.append(c)

    def centre(axis):
        return [(L_SHOULDER * 4 + axis, -0.5), (R_SHOULDER * 4 + axis, -0.5)]

    for j in UPPER_BODY:
        for axis in (0, 1):
            col([(j * 4 + axis, 1.0)] + centre(axis))
    hand_cols = []
    for lo, _ in (LEFT, RIGHT):
        start = len(cols)
        for j in range(21):
            for axis in (0, 1, 2):
                col([(lo + j * 3 + axis, 1.0), (lo + axis, -1.0)])
        for axis in (0, 1):
            col([(lo + axis, 1.0)] + centre(axis))
        hand_cols.append((start, len(cols)))
    return np.stack(cols, axis=1), hand_cols


class Preprocess(nn.Module):
    """Raw [B, T, 258] landmarks -> [B, T, 182] normalised features: positions relative to the
    shoulders' midpoint (per frame), scaled by the sequence's mean shoulder width over frames with a
    pose; hands relative to their wrist; hand-present flags (1/0).

    OpenCV 4.6 cannot broadcast Mul/Div between [1, T, F] and [1, T, 1] or [1, 1, 1], so every
    broadcast is a MatMul with a constant of ones instead (which is why T is fixed here)."""

    def __init__(self, frames):
        super().__init__()
        linear, hand_cols = _linear_map()
        (l0, l1), (r0, r1) = hand_cols
        assert l1 == r0 and r1 == linear.shape[1]
        self.pose_cols = l0
        self.features = linear.shape[1] + 2
        self.register_buffer("linear", torch.from_numpy(linear))
        shoulder = np.zeros((FRAME, 2), dtype=np.float32)
        for axis in (0, 1):
            shoulder[L_SHOULDER * 4 + axis, axis] = 1.0
            shoulder[R_SHOULDER * 4 + axis, axis] = -1.0
        self.register_buffer("shoulder", torch.from_numpy(shoulder))
        parts = np.zeros((FRAME, 3), dtype=np.float32)  # |x| summed per part: pose xy, left, right
        for j in range(33):
            parts[j * 4:j * 4 + 2, 0] = 1.0
        parts[LEFT[0]:LEFT[1], 1] = 1.0
        parts[RIGHT[0]:RIGHT[1], 2] = 1.0
        self.register_buffer("parts", torch.from_numpy(parts))
        self.register_buffer("ones2", torch.ones(2, 1))
        self.register_buffer("all_frames", torch.ones(frames, frames))  # sum over time, at every frame
        self.register_buffer("spread", torch.ones(1, linear.shape[1]))
        hand_mask = np.zeros((3, r1 - l0), dtype=np.float32)  # presence flag -> that hand's columns
        hand_mask[1, 0:l1 - l0] = 1.0
        hand_mask[2, r0 - l0:r1 - l0] = 1.0
        self.register_buffer("hand_mask", torch.from_numpy(hand_mask))

    def forward(self, x):
        present = 1.0 - torch.relu(1.0 - PRESENT_GAIN * torch.matmul(torch.abs(x), self.parts))
        d = torch.matmul(x, self.shoulder)
        width = torch.sqrt(torch.matmul(d * d, self.ones2))  # [B, T, 1]
        total = torch.matmul(width.transpose(1, 2), self.all_frames)  # [B, 1, T]
        count = torch.matmul(present[:, :, 0:1].transpose(1, 2), self.all_frames)
        scale = (total / (count + 1.0e-6)).transpose(1, 2)  # [B, T, 1], equal in every frame
        scale = torch.relu(scale - 0.02) + 0.02  # no pose at all: avoid dividing by ~0
        lin = torch.matmul(x, self.linear) / torch.matmul(scale, self.spread)
        hands = lin[:, :, self.pose_cols:] * torch.matmul(present, self.hand_mask)
        return torch.cat([lin[:, :, 0:self.pose_cols], hands, present[:, :, 1:3]], dim=2)
