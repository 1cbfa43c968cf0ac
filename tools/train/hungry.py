#!/usr/bin/python3
"""Why a model trained on emergency-10's 배고프다 (hungry) misses aihub8's 배고프다: each suspected cause
tested on its own, through the C++ path (`sueo eval`), and written to models/hungry-aihub8.md.

  SUEO_DATA=../shared/data /usr/bin/python3 tools/train/hungry.py [--model models/sueo-ksl.onnx] [--out F.md]

Suspects (issue 9): the 225 -> 258 layout conversion, the normalisation, a different form of the sign,
the data sets' differences (how takes are cut, camera views).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpp_eval  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("SUEO_DATA") or os.path.join(REPO, "..", "shared", "data")
AIHUB = os.path.join(DATA, "ksl-aihub8")
EM10 = os.path.join(DATA, "ksl-emergency10", "ksl_emergency10_holistic258.npz")
HUNGRY = "배고프다"


def labels_of(model):
    meta = {p.key: p.value for p in onnx.load(model).metadata_props}
    return [l["word"] if isinstance(l, dict) else l for l in json.loads(meta["sueo.labels"])]


def predict(sueo, model, sequences, words):
    """Top word of each sequence through `sueo eval --dump`."""
    with tempfile.TemporaryDirectory() as tmp:
        data, out = os.path.join(tmp, "s.npz"), os.path.join(tmp, "d.npz")
        cpp_eval.write_set(data, sequences, words)
        done = subprocess.run([sueo, "eval", "--model", model, "--data", data, "--dump", out], capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
        return np.array(labels_of(model))[np.load(out)["scores"].argmax(1)]


def wrist_y(seq):
    """Per frame, the higher wrist's height below the shoulders' midpoint, in shoulder widths (NaN: no hand)."""
    pose = seq[:, :132].reshape(-1, 33, 4)
    mid = (pose[:, 11, :2] + pose[:, 12, :2]) / 2
    sw = np.maximum(np.linalg.norm(pose[:, 11, :2] - pose[:, 12, :2], axis=1), 1e-6)
    ys = []
    for lo in (132, 195):
        w = seq[:, lo:lo + 2]
        ys.append(np.where(np.abs(seq[:, lo:lo + 63]).sum(1) > 0, (w[:, 1] - mid[:, 1]) / sw, np.nan))
    return np.nanmin(np.stack(ys), axis=0)


def hands_moving(seq):
    """Which hands leave their resting height during the take: ('left', 'right') flags."""
    pose = seq[:, :132].reshape(-1, 33, 4)
    mid = (pose[:, 11, :2] + pose[:, 12, :2]) / 2
    sw = np.maximum(np.linalg.norm(pose[:, 11, :2] - pose[:, 12, :2], axis=1), 1e-6)
    out = []
    for lo in (132, 195):
        present = np.abs(seq[:, lo:lo + 63]).sum(1) > 0
        y = (seq[present, lo + 1] - mid[present, 1]) / sw[present]
        out.append(bool(present.any() and y.min() < 2.0))
    return tuple(out)


def phase_counts(seq):
    """Frames with the higher wrist above 2.0 shoulder widths below the shoulders (signing) and below
    it or handless (resting), before the first signing frame and after the last."""
    y = wrist_y(seq)
    up = np.flatnonzero(y < 2.0)
    if len(up) == 0:
        return len(seq), 0, 0
    return int(up[0]), int(up[-1] - up[0] + 1), int(len(seq) - 1 - up[-1])


def cut_like_aihub(seq):
    """An emergency-10 take cut the way aihub8's takes are: starting at the first frame where the hands
    have arrived (the raise dropped), the lowering and rest kept."""
    y = wrist_y(seq)
    up = np.flatnonzero(y < 2.0)
    if len(up) == 0:
        return seq
    arrived = up[0] + int(np.argmax(np.nan_to_num(y[up[0]:], nan=9) <= np.nanmin(y) + 0.2))
    return seq[arrived:]


def active(seq, margin=2):
    """The span where a wrist is above resting height (2.0 shoulder widths below the shoulders)."""
    up = np.flatnonzero(wrist_y(seq) < 2.0)
    if len(up) == 0:
        return seq
    return seq[max(0, up[0] - margin):min(len(seq), up[-1] + margin + 1)]


def count_line(pred):
    c = collections.Counter(pred.tolist())
    return f"{100 * c[HUNGRY] / len(pred):.0f} % ({c[HUNGRY]}/{len(pred)}); " + ", ".join(
        f"{w} {n}" for w, n in c.most_common(4))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(REPO, "models", "sueo-ksl.onnx"))
    p.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    p.add_argument("--out", default=None, help="write the findings as markdown here")
    a = p.parse_args()
    d258 = dict(np.load(os.path.join(AIHUB, "ksl_aihub8_dev_holistic258.npz")))
    d225 = dict(np.load(os.path.join(AIHUB, "ksl_aihub8_dev_225.npz")))
    em = dict(np.load(EM10))  # read each array once: NpzFile decompresses X again on every d["X"]
    lines = [f"Model `{os.path.relpath(a.model, REPO)}`, through `build/sueo eval` "
             f"(`SUEO_DATA=... /usr/bin/python3 tools/train/hungry.py --model {os.path.relpath(a.model, REPO)}`).", ""]

    # 1. The layout conversion: rebuild the 258 file from the published 225 one.
    X225, X258 = d225["X"], d258["X"]
    rebuilt = np.zeros_like(X258)
    for j in range(33):
        rebuilt[:, :, j * 4:j * 4 + 3] = X225[:, :, j * 3:j * 3 + 3]
        rebuilt[:, :, j * 4 + 3] = 1.0
    for src, dst in ((99, 132), (162, 195)):
        hand = X225[:, :, src:src + 63].reshape(*X225.shape[:2], 21, 3)
        absent = np.all(np.abs(hand - hand[:, :, :1]) < 1e-7, axis=(2, 3))  # 21 identical points
        rebuilt[:, :, dst:dst + 63] = np.where(absent[..., None], 0.0, X225[:, :, src:src + 63])
    same = np.array_equal(rebuilt, X258)
    pose = X258[:, :, :132].reshape(*X258.shape[:2], 33, 4)
    right_left = float(np.mean(pose[:, :, 11, 0] > pose[:, :, 12, 0]))
    lines += ["### 1. Layout conversion", "",
              f"Rebuilt from `ksl_aihub8_dev_225.npz` (pose xyz + visibility 1, a hand of 21 identical points -> "
              f"zeros): {'identical to' if same else 'DIFFERENT from'} the shared 258 file. The person's left "
              f"shoulder (11) is right of the right shoulder (12) in {100 * right_left:.1f} % of frames, y grows "
              "downwards (nose above shoulders): the orientation of an unmirrored camera, as in our sets. The "
              "conversion is not the cause.", ""]

    # 2. Normalisation: the model's in-graph normalisation removes the shoulder centring and scale.
    em_hungry = [em["X"][i, :em["lengths"][i]].copy() for i in np.flatnonzero(np.array(em["classes"])[em["y"]] == HUNGRY)]
    renorm = []
    for s in em_hungry:
        pose_s = s[:, :132].reshape(-1, 33, 4)
        mid = (pose_s[:, 11, :2] + pose_s[:, 12, :2]) / 2
        sw = np.linalg.norm(pose_s[:, 11, :2] - pose_s[:, 12, :2], axis=1)
        width = np.median(sw[sw > 0])
        c = mid[np.abs(mid).sum(1) > 0].mean(0)
        t = s.copy()
        for lo, hi, step in ((0, 132, 4), (132, 195, 3), (195, 258, 3)):
            for axis in (0, 1, 2):
                cols = np.arange(lo + axis, hi, step)
                present = t[:, cols] != 0
                shift = c[axis] if axis < 2 else 0.0
                t[:, cols] = np.where(present, (t[:, cols] - shift) / width, 0)
        renorm.append(t.astype(np.float32))
    base = predict(a.sueo, a.model, em_hungry, [HUNGRY] * len(em_hungry))
    moved = predict(a.sueo, a.model, renorm, [HUNGRY] * len(renorm))
    lines += ["### 2. Normalisation", "",
              f"emergency-10's {len(em_hungry)} 배고프다 takes as they are: {count_line(base)}. The same takes "
              f"centred on the shoulders and divided by the shoulder width, as aihub8 is: {count_line(moved)}. "
              f"Agreement take by take: {100 * np.mean(base == moved):.1f} %. The model's own normalisation makes "
              "the two coordinate systems equivalent: not the cause.", ""]

    # 3. The form of the sign: aihub8 files two dictionary entries as 배고프다.
    sel = np.array([str(w) for w in d258["label8"]]) == HUNGRY
    word_id = np.array([str(w) for w in d258["word_id"]])
    view = np.array([str(v) for v in d258["view"]])
    seqs = [X258[i, :d258["lengths"][i]] for i in range(len(X258))]
    pred = predict(a.sueo, a.model, seqs, [str(w) for w in d258["label8"]])
    lines += ["### 3. Two signs filed as one word, and the camera views", "",
              "| aihub8 takes | hands that move | called 배고프다 | predictions |", "| --- | --- | --- | --- |"]
    for entry in sorted(set(word_id[sel])):
        rows = np.flatnonzero(sel & (word_id == entry))
        moving = collections.Counter(hands_moving(seqs[i]) for i in rows if view[i] == "F")
        both = moving[(True, True)]
        lines.append(f"| {entry}, all views | front views: both hands {both}, one hand "
                     f"{sum(moving.values()) - both} | {count_line(pred[rows])} |")
        for v in ("F",):
            rv = rows[view[rows] == v]
            lines.append(f"| {entry}, view {v} only | | {count_line(pred[rv])} |")
    em_moving = collections.Counter(hands_moving(s) for s in em_hungry)
    lines += ["", f"emergency-10's 배고프다: both hands move in {em_moving[(True, True)]} of {len(em_hungry)} takes. "
              "One aihub8 entry is the two-handed form emergency-10 has, the other a one-handed form: a person "
              "teaching 배고프다 teaches one of them.", ""]
    others = ~sel
    lines += [f"All {int(others.sum())} takes of aihub8's seven other words: "
              + ", ".join(f"{w} {n}" for w, n in collections.Counter(pred[others].tolist()).most_common(5))
              + " — nearly everything aihub8 holds is called a KETI-6 word.", ""]

    # 4. How the takes are cut.
    ph_ai = np.array([phase_counts(seqs[i]) for i in np.flatnonzero(sel & (view == "F"))])
    ph_em = np.array([phase_counts(s) for s in em_hungry])
    lines += ["### 4. How the takes are cut", "",
              "Frames before the hands rise / while signing / after they are lowered (higher wrist above "
              "2.0 shoulder widths below the shoulders = signing), median:", "",
              "| set | before | signing | after | frames |", "| --- | --- | --- | --- | --- |",
              f"| aihub8 배고프다, front views | {np.median(ph_ai[:, 0]):.0f} | {np.median(ph_ai[:, 1]):.0f} | "
              f"{np.median(ph_ai[:, 2]):.0f} | 32 |",
              f"| emergency-10 배고프다 | {np.median(ph_em[:, 0]):.0f} | {np.median(ph_em[:, 1]):.0f} | "
              f"{np.median(ph_em[:, 2]):.0f} | 30 |", ""]
    cut = [cut_like_aihub(s) for s in em_hungry]
    cut_pred = predict(a.sueo, a.model, cut, [HUNGRY] * len(cut))
    act = [active(seqs[i]) for i in np.flatnonzero(sel)]
    act_pred = predict(a.sueo, a.model, act, [HUNGRY] * len(act))
    rows = np.flatnonzero(sel)
    lines += [f"emergency-10's takes cut the way aihub8's are (from the frame the hands arrive, lowering "
              f"and rest kept): {count_line(cut_pred)} (uncut: {100 * np.mean(base == HUNGRY):.0f} %).",
              f"aihub8's takes cropped to their signing frames: {count_line(act_pred)}; the two-handed entry "
              f"alone: {count_line(act_pred[word_id[rows] == 'WORD1197'])}.", ""]
    # 5. The recording set-ups: body proportions in each set's normalised coordinates.
    def torso(x):
        pose_x = x[:, :132].reshape(-1, 33, 4)
        ok = np.abs(pose_x[:, 11, :2]).sum(1) > 0
        mid = (pose_x[ok, 11, :2] + pose_x[ok, 12, :2]) / 2
        sw = np.linalg.norm(pose_x[ok, 11, :2] - pose_x[ok, 12, :2], axis=1)
        hip = (pose_x[ok, 23, :2] + pose_x[ok, 24, :2]) / 2
        return float(np.median((hip[:, 1] - mid[:, 1]) / sw))

    r_ai = torso(np.concatenate(seqs))
    r_em = torso(np.concatenate(em_hungry))
    squeeze = r_em / r_ai
    squeezed = []
    for i in np.flatnonzero(sel):
        t = seqs[i].copy()
        for lo, hi, step in ((0, 132, 4), (132, 195, 3), (195, 258, 3)):
            cols = np.arange(lo + 1, hi, step)
            t[:, cols] = np.where(t[:, cols] != 0, t[:, cols] * squeeze, 0)
        squeezed.append(t)
    sq_pred = predict(a.sueo, a.model, squeezed, [HUNGRY] * len(squeezed))
    lines += ["### 5. The recording set-ups", "",
              f"Hips below the shoulders, in shoulder widths (median over frames): aihub8 {r_ai:.2f}, emergency-10 "
              f"{r_em:.2f}. Image coordinates are fractions of width and height, so the camera's aspect ratio and "
              "angle stretch every vertical distance the model sees. aihub8's y scaled by "
              f"{squeeze:.2f} to emergency-10's proportions: {count_line(sq_pred)}; the two-handed entry alone: "
              f"{count_line(sq_pred[word_id[rows] == 'WORD1197'])}.", ""]
    # 6. Is it the same sign? Nearest emergency-10 take, on the model's own normalised features (no
    # learnt weights: trim, resample to 48, shoulder-centred and -scaled positions, hands from the wrist).
    import torch
    from sueo_prep import Preprocess, prepare
    prep = Preprocess(48)

    def feats(batch):
        with torch.no_grad():
            f = prep(torch.from_numpy(np.stack([prepare(x) for x in batch]))).numpy()
        return f.reshape(len(batch), -1)

    em_words = np.array(em["classes"])[em["y"]]
    em_seqs = [em["X"][i, :em["lengths"][i]] for i in range(len(em["X"]))]  # views of one array
    keti = dict(np.load(os.path.join(DATA, "ksl-keti6", "ksl_keti6_dev_holistic258.npz")))
    keti_words = np.array(["KETI " + str(c) for c in np.array(keti["classes"])[keti["y"]]])
    keti_seqs = [keti["X"][i, :keti["lengths"][i]] for i in range(len(keti["X"]))]
    f_em = feats(em_seqs + keti_seqs)
    em_words = np.concatenate([em_words, keti_words])
    lines += ["### 6. The same sign? Nearest take of the training sets", "",
              "On the model's normalisation without any learnt weights (trim, 48 frames, positions from the "
              "shoulders in shoulder widths, hands from their wrist): the word of each aihub8 take's nearest take "
              "among emergency-10's 1,999 and KETI-6's 288 (Euclidean).", "",
              "| aihub8 takes | nearest take's word |", "| --- | --- |"]
    for entry in sorted(set(word_id[sel])):
        for v, name in ((["F"], "front view"), (["F", "D", "L", "R", "U"], "all views")):
            idx = np.flatnonzero(sel & (word_id == entry) & np.isin(view, v))
            f_ai = feats([seqs[i] for i in idx])
            d2 = (f_ai ** 2).sum(1)[:, None] - 2 * f_ai @ f_em.T + (f_em ** 2).sum(1)[None, :]
            nn = em_words[d2.argmin(1)]
            lines.append(f"| {entry}, {name} | {count_line(nn)} |")
    lines.append("")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
