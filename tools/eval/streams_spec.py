"""Realistic test streams for the spotting evaluation, as a spec for `sueo streams render`.

Made from real KSL-77 clips (../shared/data/ksl77) of the signers and words models/splits.json puts in
one part:
  window  one known sign in a 10 s window, anywhere in it, rest before and after (a held frame of the
          clip under a swaying hand-held camera); half the windows rest with the hands down, half
          with the hands held in view (the clip's first frame that shows a hand)
  chain   all of a signer's known words in a random order, 1-3 s of rest between
  idle    no sign: a rest frame held for 30-40 s (hands down, or held in view, or the clip's last frame)
  oov     a sign the model does not know (the part's out-of-vocabulary words), padded like `window`
  rate    windows at 10 and 30 fps, and at 15 fps with 15 % of the frames dropped

Deterministic (fixed seeds). Offline tooling: Debian's /usr/bin/python3 with numpy.
"""
import csv
import json
import os
import random

import numpy as np

WINDOW_S = 10.0
KNOWN_WORDS = {1: "안녕", 3: "만나다", 4: "비빔밥", 7: "나", 9: "얼굴", 10: "보다"}


def read_clips(data_dir):
    """labels.csv rows as dicts: path, class id, signer ('' when unknown), duration."""
    rows = []
    with open(os.path.join(data_dir, "ksl77", "labels.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            signer = r["signer_id"] if r["signer_id"] not in ("", "NA") else ""
            rows.append({"path": os.path.join(data_dir, "ksl77", r["file"]), "cls": int(r["class_id"]),
                         "signer": signer, "seconds": float(r["duration_s"])})
    return rows


def first_hand_seconds(landmarks, path):
    """When the clip first shows a hand (our pipeline's landmarks at 15 fps), or None."""
    if landmarks is None:
        return None
    names = [os.path.basename(str(f)) for f in landmarks["files"]]
    name = os.path.basename(path)
    if name not in names:
        return None
    i = names.index(name)
    x = landmarks["X"][i, :landmarks["lengths"][i]]
    hands = np.flatnonzero(np.abs(x[:, 132:]).sum(1) > 0)
    return None if len(hands) == 0 else float(hands[0]) / 15.0


def padded(clip, rng, label, hands_at, name, fps=15, drop=0.0, seed=0):
    """One sign somewhere in a 10 s window, rest before (hands down or in view) and after."""
    free = max(2.0, WINDOW_S - clip["seconds"])
    before = rng.uniform(1.0, free - 1.0)
    after = max(1.0, free - before)
    hold = hands_at if hands_at is not None else 0.0
    return {"name": name, "fps": fps, "drop": drop, "seed": seed, "sway": 1.0,
            "rest": "in_view" if hands_at is not None else "down",
            "parts": [{"clip": clip["path"], "hold_at": hold, "seconds": round(before, 2)},
                      {"clip": clip["path"], "play": True, "label": label},
                      {"clip": clip["path"], "hold_at": -1, "seconds": round(after, 2)}]}


def make_spec(part, data_dir, splits, landmarks=None, seed=1):
    """The spec of `part` ('tune' or 'test')."""
    rng = random.Random(seed)
    s = splits["ksl77"]
    test_signers = set(s["test_signers"])
    oov_classes = set(s["oov_test_classes"] if part == "test" else s["oov_calibration_classes"])
    clips = read_clips(data_dir)
    known = [c for c in clips if c["cls"] in KNOWN_WORDS and c["signer"]
             and ((c["signer"] in test_signers) == (part == "test"))]
    oov = [c for c in clips if c["cls"] in oov_classes]
    streams = []
    n = 0

    def add(stream, kind, **meta):
        nonlocal n
        stream.update(kind=kind, seed=stream.get("seed") or 1000 + n, **meta)
        n += 1
        streams.append(stream)

    for i, c in enumerate(known):
        hands_at = first_hand_seconds(landmarks, c["path"]) if i % 2 else None
        add(padded(c, rng, KNOWN_WORDS[c["cls"]], hands_at, f"window/s{c['signer']}/c{c['cls']:02d}"),
            "window", signer=c["signer"])
    by_signer = {}
    for c in known:
        by_signer.setdefault(c["signer"], []).append(c)
    for signer, mine in sorted(by_signer.items()):
        for k in range(2):
            order = mine[:]
            rng.shuffle(order)
            parts = [{"clip": order[0]["path"], "hold_at": 0.0, "seconds": round(rng.uniform(1, 2), 2)}]
            for j, c in enumerate(order):
                parts.append({"clip": c["path"], "play": True, "label": KNOWN_WORDS[c["cls"]]})
                rest = rng.uniform(1.0, 3.0) if j + 1 < len(order) else rng.uniform(1.0, 2.0)
                parts.append({"clip": c["path"], "hold_at": -1, "seconds": round(rest, 2)})
            add({"name": f"chain/s{signer}/{k}", "fps": 15, "drop": 0.0, "sway": 1.0, "parts": parts},
                "chain", signer=signer)
    # Idle: about 10-14 minutes of no sign, the rest frames the windows use.
    idle_clips = rng.sample(known, min(len(known), 20))
    for j, c in enumerate(idle_clips):
        kind = ("down", "in_view", "last")[j % 3]
        at = 0.0 if kind == "down" else (first_hand_seconds(landmarks, c["path"]) if kind == "in_view" else -1)
        if at is None:
            at, kind = -1, "last"
        fps = (15, 15, 15, 10, 30)[j % 5]
        add({"name": f"idle/s{c['signer']}/c{c['cls']:02d}/{kind}", "fps": fps, "drop": 0.0, "sway": 1.0,
             "rest": kind, "parts": [{"clip": c["path"], "hold_at": at, "seconds": round(rng.uniform(30, 40), 1)}]},
            "idle", signer=c["signer"])
    for c in oov:
        hands_at = first_hand_seconds(landmarks, c["path"]) if rng.random() < 0.5 else None
        add(padded(c, rng, f"oov:{c['cls']}", hands_at, f"oov/c{c['cls']:02d}/{os.path.basename(c['path'])[:-4]}"),
            "oov", cls=c["cls"])
    rate_clips = rng.sample(known, min(len(known), 12))
    for j, c in enumerate(rate_clips):
        fps, drop = ((10, 0.0), (30, 0.0), (15, 0.15))[j % 3]
        add(padded(c, rng, KNOWN_WORDS[c["cls"]], None, f"rate/{fps}fps-drop{drop}/s{c['signer']}/c{c['cls']:02d}",
                   fps=fps, drop=drop), "rate", signer=c["signer"])
    return {"width": 640, "height": 480, "quality": 0.7, "part": part, "streams": streams}


def write_spec(path, spec):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, indent=1)
