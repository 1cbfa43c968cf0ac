#!/usr/bin/python3
"""Known vs unknown signs on HELD-OUT data, clip level: the report, never a tuning step.

  SUEO_DATA=../shared/data /usr/bin/python3 tools/eval/reject_report.py [--sueo build/sueo]
      [--model models/sueo-ksl.onnx] [--heldout build/ksl77-heldout/ksl77_test.npz]
      [--oov build/ksl77-oov/ksl77_oov_test.npz] [--similarity 0.86] [--accept 0.35]

Known (should be named, and rightly): the KSL-77 clips of the test signers (models/splits.json),
cut to the sign. Unknown (should get no word): the KSL-77 out-of-vocabulary TEST half (words never
trained on, and not the calibration half the thresholds came from) and ksl-aihub8's seven new words
(never trained on; 배고프다, which the model knows, left out). Every score comes from the C++ path
(`sueo eval --dump`) with the default model. Prints the curve over the cosine threshold at the chosen
probability threshold, and the chosen point. Make the .npz files with tools/train/extract_ksl77.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KNOWN_AIHUB8 = "배고프다"  # also one of the model's words (emergency-10)


def dump(sueo, model, data):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "d.npz")
        done = subprocess.run([sueo, "eval", "--model", model, "--data", data, "--dump", out],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"sueo eval on {data} failed:\n{done.stdout}{done.stderr}")
        d = np.load(out)
        return {k: d[k] for k in d.files}


def aihub8_new_words(data_dir, tmp):
    """ksl-aihub8 without the word the model knows, as an .npz `sueo eval` reads."""
    src = np.load(os.path.join(data_dir, "ksl-aihub8", "ksl_aihub8_dev_holistic258.npz"))
    keep = src["label8"] != KNOWN_AIHUB8
    out = os.path.join(tmp, "aihub8_new.npz")
    np.savez(out, X=src["X"][keep], lengths=src["lengths"][keep], labels=src["label8"][keep])
    return out, int(keep.sum()), sorted(set(src["label8"][keep].tolist()))


def decide(d, protos, labels, similarity, accept):
    """Per clip: the word said (None: no word), as sign::Matcher + SignReader::decide without taught words."""
    probs, emb = d["scores"], d["embeddings"]
    top = probs.argmax(1)
    cos = (emb @ protos.T)[np.arange(len(top)), top]
    named = (cos >= similarity) & (probs.max(1) >= accept)
    return [labels[t] if ok else None for t, ok in zip(top, named)], cos, probs.max(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sueo", default=os.path.join(REPO, "build", "sueo"))
    p.add_argument("--model", default=os.path.join(REPO, "models", "sueo-ksl.onnx"))
    p.add_argument("--heldout", default=os.path.join(REPO, "build", "ksl77-heldout", "ksl77_test.npz"))
    p.add_argument("--oov", default=os.path.join(REPO, "build", "ksl77-oov", "ksl77_oov_test.npz"))
    p.add_argument("--similarity", type=float, default=0.86)
    p.add_argument("--accept", type=float, default=0.35)
    p.add_argument("--json", default=None)
    a = p.parse_args()
    data_dir = os.environ.get("SUEO_DATA", os.path.join(REPO, "..", "shared", "data"))
    meta = {m.key: m.value for m in onnx.load(a.model).metadata_props}
    protos = np.array(json.loads(meta["sueo.prototypes"]), dtype=np.float32)
    protos /= np.maximum(np.linalg.norm(protos, axis=1, keepdims=True), 1e-12)
    labels = [w["word"] for w in json.loads(meta["sueo.labels"])]
    with tempfile.TemporaryDirectory() as tmp:
        aihub, n_aihub, aihub_words = aihub8_new_words(data_dir, tmp)
        known = dump(a.sueo, a.model, a.heldout)
        unknown = {"KSL-77 OOV test half": dump(a.sueo, a.model, a.oov), "aihub8 new words": dump(a.sueo, a.model, aihub)}
    known_truth = [labels[t] for t in known["truth"]]

    def point(sim, acc):
        said, _, _ = decide(known, protos, labels, sim, acc)
        row = {"known_accepted": np.mean([s is not None for s in said]),
               "known_right": np.mean([s == t for s, t in zip(said, known_truth)])}
        for name, d in unknown.items():
            s, _, _ = decide(d, protos, labels, sim, acc)
            row[name] = np.mean([x is not None for x in s])
        return row

    print(f"held-out clips: known {len(known_truth)} (KSL-77 test signers), unknown "
          f"{len(unknown['KSL-77 OOV test half']['scores'])} (KSL-77 OOV test half) + {n_aihub} (aihub8: {', '.join(aihub_words)})")
    print(f"\ncurve over the cosine threshold, probability >= {a.accept}:\n")
    print("| cosine >= | known named | known right | KSL-77 OOV test named | aihub8 new words named |")
    print("| --- | --- | --- | --- | --- |")
    curve = []
    for sim in [-1.0, 0.7, 0.75, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.92, 0.94]:
        r = point(sim, a.accept)
        curve.append({"similarity": sim, **{k: float(v) for k, v in r.items()}})
        mark = " **(chosen)**" if abs(sim - a.similarity) < 1e-9 else ""
        print(f"| {'off' if sim < 0 else f'{sim:.2f}'}{mark} | {100 * r['known_accepted']:.1f} % | {100 * r['known_right']:.1f} % | "
              f"{100 * r['KSL-77 OOV test half']:.1f} % | {100 * r['aihub8 new words']:.1f} % |")
    chosen = point(a.similarity, a.accept)
    print(f"\nchosen (cosine {a.similarity}, probability {a.accept}): known named {100 * chosen['known_accepted']:.1f} %, "
          f"right {100 * chosen['known_right']:.1f} %; unknown named: KSL-77 OOV {100 * chosen['KSL-77 OOV test half']:.1f} %, "
          f"aihub8 {100 * chosen['aihub8 new words']:.1f} %")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"curve": curve, "chosen": {k: float(v) for k, v in chosen.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
