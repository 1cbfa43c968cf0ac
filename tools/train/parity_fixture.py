"""Parity fixtures: synthetic-but-plausible Holistic sequences, the frames Python's trim + resample
makes of them, and the torch model's scores. tests/unit/sign checks that C++ (src/sign/resample.cpp
and OpenCV DNN on the exported ONNX) gives the same frames and scores. Synthetic so the fixture
carries none of ../shared/data, whose terms forbid redistribution.

The fixture is an .npz: raw [N, T_max, 258] + raw_lengths [N], fitted [N, T, 258], scores [N, C],
embeddings [N, D] (models with an embedding output), frames, trim_margin.
"""
import numpy as np
import torch

from sueo_prep import FRAME, LEFT, RIGHT, prepare

# Rough upright-person pose in normalised image coordinates (x right, y down), unmirrored camera:
# the person's left shoulder (11) is on the image's right.
_POSE = {0: (0.50, 0.28), 1: (0.52, 0.26), 2: (0.53, 0.26), 3: (0.54, 0.26), 4: (0.48, 0.26),
         5: (0.47, 0.26), 6: (0.46, 0.26), 7: (0.56, 0.27), 8: (0.44, 0.27), 9: (0.52, 0.32),
         10: (0.48, 0.32), 11: (0.60, 0.45), 12: (0.40, 0.45), 13: (0.66, 0.60), 14: (0.34, 0.60),
         15: (0.64, 0.73), 16: (0.36, 0.73), 17: (0.65, 0.76), 18: (0.35, 0.76), 19: (0.64, 0.77),
         20: (0.36, 0.77), 21: (0.63, 0.75), 22: (0.37, 0.75), 23: (0.57, 0.82), 24: (0.43, 0.82),
         25: (0.58, 1.05), 26: (0.42, 1.05), 27: (0.58, 1.3), 28: (0.42, 1.3), 29: (0.58, 1.33),
         30: (0.42, 1.33), 31: (0.59, 1.36), 32: (0.41, 1.36)}


def _hand_template():
    """21 hand points around the wrist: five fingers of four joints fanned over 100 degrees."""
    pts = [(0.0, 0.0)]
    for finger in range(5):
        angle = np.deg2rad(-140 + 25 * finger)
        for joint in range(1, 5):
            r = 0.25 * joint + (0.1 if finger == 0 else 0.2)
            pts.append((r * np.cos(angle), r * np.sin(angle)))
    return np.array(pts, dtype=np.float64)


def synthetic_sequence(rng, length, hands="both"):
    t = np.arange(length)
    seq = np.zeros((length, FRAME), dtype=np.float32)
    sway = 0.01 * np.sin(t / 7.0 + rng.uniform(0, 6))
    for j, (x, y) in _POSE.items():
        seq[:, j * 4] = x + sway + rng.normal(0, 0.002, length)
        seq[:, j * 4 + 1] = y + rng.normal(0, 0.002, length)
        seq[:, j * 4 + 2] = rng.uniform(-0.6, 0.1) + rng.normal(0, 0.01, length)
        seq[:, j * 4 + 3] = 0.99 if j < 25 else 0.1
    template = _hand_template()
    for side, (lo, _), base in (("left", LEFT, (0.62, 0.55)), ("right", RIGHT, (0.38, 0.55))):
        if hands not in ("both", side):
            continue
        start = rng.integers(0, max(1, length // 4))
        stop = length - rng.integers(0, max(1, length // 4))
        omega = rng.uniform(0.1, 0.4)
        for f in range(start, stop):
            if rng.random() < 0.05:
                continue  # a missed detection
            angle = 0.5 * np.sin(omega * f)
            rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            centre = np.array(base) + 0.08 * np.array([np.sin(omega * f), np.cos(omega * f)])
            pts = centre + 0.07 * template @ rot.T
            seq[f, lo:lo + 63:3] = pts[:, 0]
            seq[f, lo + 1:lo + 63:3] = pts[:, 1]
            seq[f, lo + 2:lo + 63:3] = -0.02 * np.arange(21) / 20.0
    return seq


def synthetic_set(seed=7):
    """Lengths on both sides of 48, equal to 48, a single frame, one-hand and hand-less takes."""
    rng = np.random.default_rng(seed)
    plan = [(30, "both"), (48, "both"), (75, "right"), (120, "left"), (1, "both"), (60, "none"),
            (160, "both"), (47, "right")]
    return [synthetic_sequence(rng, n, hands) for n, hands in plan]


def write(model, path, frames, margin):
    seqs = synthetic_set()
    t_max = max(len(s) for s in seqs)
    raw = np.zeros((len(seqs), t_max, FRAME), dtype=np.float32)
    for i, s in enumerate(seqs):
        raw[i, :len(s)] = s
    fitted = np.stack([prepare(s, frames, margin) for s in seqs])
    arrays = dict(raw=raw, raw_lengths=np.array([len(s) for s in seqs], dtype=np.int32), fitted=fitted,
                  frames=np.array([frames], dtype=np.int32), trim_margin=np.array([margin], dtype=np.int32))
    if model is not None:
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(fitted))
        if isinstance(out, tuple):  # a model with an embedding output (docs/model.md §4)
            out, embedding = out
            arrays["embeddings"] = embedding.numpy().astype(np.float32)
        arrays["scores"] = out.numpy().astype(np.float32)
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    # Resampling only (no model): what the live C++/Python resampling parity test compares.
    import argparse
    p = argparse.ArgumentParser(description="write a resampling parity fixture (no model scores)")
    p.add_argument("out")
    p.add_argument("--frames", type=int, default=48)
    p.add_argument("--trim-margin", type=int, default=4)
    a = p.parse_args()
    write(None, a.out, a.frames, a.trim_margin)
    print(f"wrote {a.out}")
