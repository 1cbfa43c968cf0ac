#!/usr/bin/python3
"""Unknown-word rejection, two ways, on data no scoring model trained on: the classifier's top
probability vs. the embedding's cosine to the built-in words' prototypes.

  SUEO_DATA=../shared/data /usr/bin/python3 tools/train/unknown_eval.py [--folds build/train-folds]

Positives (known words, should be accepted): each cross-validation fold's held-out takes of KSL-77 and
KETI-6 (build/train-folds/fold<k>_<set>.npz), scored by that fold's model: out-of-fold. emergency-10's
time split shares its session with training and is left out.
Negatives (unknown words, should be rejected): the KSL-77 out-of-vocabulary *calibration* half
(build/ksl77-oov/ksl77_oov_calibration.npz, models/splits.json), scored by every fold's model (none
trained on them). The test half and aihub8 are not read: they are for reports, not for choosing.

All numbers come from the C++ path (`sueo eval --dump`); each fold's prototypes are its own
(metadata `sueo.prototypes`, from its training part only).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def dump(sueo, model, data):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d.npz")
        cmd = [sueo, "eval", "--model", model, "--data", data, "--dump", out]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
        d = np.load(out)
        return {k: d[k] for k in d.files}


def prototypes(model):
    meta = {p.key: p.value for p in onnx.load(model).metadata_props}
    if "sueo.prototypes" not in meta:
        raise SystemExit(f"{model} has no sueo.prototypes")
    p = np.array(json.loads(meta["sueo.prototypes"]), dtype=np.float32)
    return p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)


def scores(d, protos):
    """Per sequence: the candidate confidence scores compared here."""
    probs, emb = d["scores"], d["embeddings"]
    top = probs.argmax(1)
    cos = emb @ protos.T
    return {
        "max probability": probs.max(1),
        "max cosine to a prototype": cos.max(1),
        "cosine to the top word's prototype": cos[np.arange(len(top)), top],
        "probability x cosine (top word)": probs.max(1) * np.clip(cos[np.arange(len(top)), top], 0, None),
    }, top


def auc(pos, neg):
    """P(a positive scores above a negative), ties half."""
    pos, neg = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def at_accept(pos, neg, accept):
    """Threshold keeping `accept` of the positives; the negatives' false-accept rate there."""
    t = np.quantile(pos, 1 - accept)
    return float(t), float(np.mean(neg >= t))


def at_reject(pos, neg, reject):
    """Threshold rejecting `reject` of the negatives; the positives' accept rate there."""
    t = np.quantile(neg, reject)
    return float(t), float(np.mean(pos > t))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--folds", default=os.path.join(REPO, "build", "train-folds"))
    p.add_argument("--negatives", default=os.path.join(REPO, "build", "ksl77-oov", "ksl77_oov_calibration.npz"))
    p.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    p.add_argument("--json", default=None)
    args = p.parse_args()
    models = sorted(glob.glob(os.path.join(args.folds, "fold*.onnx")))
    if not models or not os.path.exists(args.negatives):
        raise SystemExit("needs build/train-folds (train.py) and build/ksl77-oov (extract_ksl77.sh)")
    pos = {}  # set -> score name -> values
    neg = {}
    right = {}
    for model in models:
        k = re.search(r"fold(\d+)\.onnx$", model).group(1)
        protos = prototypes(model)
        for data in sorted(glob.glob(os.path.join(args.folds, f"fold{k}_*.npz"))):
            name = re.search(rf"fold{k}_(.+)\.npz$", data).group(1)
            if name == "ksl-emergency10":
                continue
            d = dump(args.sueo, model, data)
            s, top = scores(d, protos)
            for key, v in s.items():
                pos.setdefault(name, {}).setdefault(key, []).extend(v.tolist())
            right.setdefault(name, []).extend((top == d["truth"]).tolist())
        d = dump(args.sueo, model, args.negatives)
        s, _ = scores(d, protos)
        for key, v in s.items():
            neg.setdefault(key, []).extend(v.tolist())
    groups = {**{n: v for n, v in pos.items()},
              "KSL-77 + KETI-6": {key: sum((pos[n][key] for n in pos), []) for key in neg}}
    report = {}
    print(f"negatives: {os.path.relpath(args.negatives, REPO)} scored by {len(models)} fold models "
          f"({len(neg['max probability'])} scores); positives: out-of-fold known words")
    for name, by_score in groups.items():
        n = len(next(iter(by_score.values())))
        print(f"\n### known words: {name} ({n} out-of-fold takes)\n")
        print("| score | AUC | unknown accepted at 95 % known accepted | known accepted at 80 % unknown rejected |")
        print("| --- | --- | --- | --- |")
        for key in neg:
            a = auc(by_score[key], neg[key])
            t95, fa = at_accept(np.array(by_score[key]), np.array(neg[key]), 0.95)
            t80, ka = at_reject(np.array(by_score[key]), np.array(neg[key]), 0.80)
            report.setdefault(name, {})[key] = {"auc": a, "fa_at_95": fa, "t_at_95": t95, "known_at_80": ka,
                                                "t_at_80": t80}
            print(f"| {key} | {a:.3f} | {100 * fa:.1f} % (t = {t95:.3f}) | {100 * ka:.1f} % (t = {t80:.3f}) |")
    for name, r in right.items():
        print(f"\n{name}: out-of-fold top-1 {100 * np.mean(r):.1f} % (n {len(r)})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
